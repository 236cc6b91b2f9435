import { formatMeta, TensorData, type TensorMeta } from "@aotjs/ir";
import type * as Ort from "onnxruntime-common";
import { OnnxBackendError } from "./errors.js";

/**
 * A graph output left in WebGPU memory (`outputLocation: "gpu-buffer"`). It is a TensorData by
 * dtype and shape, so it can be passed wherever one is (the aot runtime hands a forward's saved
 * values to the backward unread), but its elements are not in host memory: `data` throws, and
 * `download()` copies them out. Fed to another ONNX executable on the same device, the buffer is
 * used in place. The GPU buffer is released by `dispose()`, or when this object is collected.
 */
export interface DeviceTensorData extends TensorData {
  readonly location: "gpu-buffer";
  /** Copy the elements to host memory. */
  download(): Promise<TensorData>;
  /** Release the GPU buffer now; any later use is an error. */
  dispose(): void;
}

/** The ORT tensor behind each DeviceTensorData, so every executable on the device can feed it. */
const tensors = new WeakMap<TensorData, { tensor: Ort.Tensor; label: string }>();
const release =
  typeof FinalizationRegistry === "undefined"
    ? undefined
    : new FinalizationRegistry<Ort.Tensor>((tensor) => tensor.dispose());

const deviceProto = Object.create(TensorData.prototype, {
  location: { value: "gpu-buffer" },
  data: {
    get(this: TensorData) {
      throw new OnnxBackendError(
        `${held(this).label} (${formatMeta(this)}) is in GPU memory (outputLocation "gpu-buffer"): feed it to another ONNX executable on the device, or read it with await value.download()`,
      );
    },
  },
  download: {
    async value(this: TensorData): Promise<TensorData> {
      const { tensor } = held(this);
      const data = await tensor.getData();
      return new TensorData(this.dtype, this.shape, data as never);
    },
  },
  dispose: {
    value(this: TensorData): void {
      const entry = tensors.get(this);
      if (!entry) return;
      tensors.delete(this);
      release?.unregister(this);
      entry.tensor.dispose();
    },
  },
});

function held(t: TensorData): { tensor: Ort.Tensor; label: string } {
  const entry = tensors.get(t);
  if (!entry) throw new OnnxBackendError(`a device tensor (${formatMeta(t)}) was used after dispose()`);
  return entry;
}

/** Wrap an ORT output that lives on the GPU. `label` names it in errors (`graph 'g' output 'x'`). */
export function deviceTensorData(tensor: Ort.Tensor, meta: TensorMeta, label: string): DeviceTensorData {
  const d = Object.create(deviceProto, {
    dtype: { value: meta.dtype, enumerable: true },
    shape: { value: Object.freeze([...meta.shape]), enumerable: true },
  }) as DeviceTensorData;
  tensors.set(d, { tensor, label });
  release?.register(d, tensor, d);
  return d;
}

/** The ORT tensor of a DeviceTensorData, or undefined for a host TensorData. */
export function deviceTensorOf(t: TensorData): Ort.Tensor | undefined {
  return tensors.has(t) ? held(t).tensor : undefined;
}

/** Whether `t` is a value left in GPU memory by a WebGPU session (read it with `download()`). */
export const isDeviceTensorData = (t: unknown): t is DeviceTensorData =>
  t instanceof TensorData && tensors.has(t);
