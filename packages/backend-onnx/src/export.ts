import {
  type DType,
  dimToJSON,
  formatMeta,
  type Graph,
  type InputRole,
  type OutputRole,
  sameMeta,
  type TensorData,
  type Value,
} from "@aotjs/ir";
import { toBinary } from "@bufbuild/protobuf";
import { ModelProtoSchema } from "onnx-buf";
import { OnnxBackendError } from "./errors.js";
import { AOTJS_VERSION, type LoweredModel, lowerGraph, type OnnxModelOptions } from "./model.js";
import { sha256 } from "./sha256.js";

// Node's fs is imported lazily, so the rest of the package (toOnnxModel) bundles for browsers.
const fs = () => import("node:fs/promises");
const joinPath = async (...parts: string[]) => (await import("node:path")).join(...parts);

/** Write `graph` as an ONNX model file (see `OnnxModelOptions`); returns the bytes written. */
export async function exportOnnx(
  graph: Graph,
  path: string,
  options: OnnxModelOptions = {},
): Promise<Uint8Array> {
  const bytes = toBinary(ModelProtoSchema, lowerGraph(graph, { symbolic: true, ...options }).model);
  await (await fs()).writeFile(path, bytes);
  return bytes;
}

/**
 * What `writeArtifacts` needs: the shape of `@aotjs/aot`'s `aotExport(...)` result, restated here
 * structurally so this package keeps importing only `@aotjs/ir`.
 */
export interface ExportedArtifacts {
  readonly forward: Graph;
  /** Absent when nothing required grad (an inference-only export). */
  readonly backward?: Graph;
  /** aotExport's signature (plain JSON): copied into the manifest as it is. */
  readonly signature: unknown;
  /** Tensors the traced function captured: baked into forward.onnx as initializers. */
  readonly constants?: readonly { readonly name: string; readonly value: TensorData }[];
}

export interface WriteArtifactsOptions extends Omit<OnnxModelOptions, "initializers" | "runtimeChecks"> {
  /**
   * Initial values to ship with the models (parameters and buffers, by forward input name):
   * written little-endian and back to back into `weights.bin`, each entry listed in the manifest.
   */
  readonly weights?: Readonly<Record<string, TensorData>>;
}

/**
 * One model file in the manifest. `inputs` and `outputs` are the ONNX names, in session order, each
 * with its role from the graph's signature (what it is: a parameter and its path, a saved value, ...).
 */
export interface ArtifactFile {
  readonly file: string;
  readonly sha256: string;
  /** sha256 of the source graph's JSON, as in the model's metadata. */
  readonly graphSha256: string;
  readonly opset: number;
  readonly irVersion: number;
  readonly inputs: readonly {
    readonly name: string;
    readonly dtype: DType;
    readonly shape: readonly number[];
    /** A symbolic model's dims: a string is a `dim_param` ("B"); `shape` holds the export's example sizes. */
    readonly dims?: readonly (number | string)[];
    readonly role: InputRole;
  }[];
  /** `value` is the graph value an output carries (it differs from `name` for a renamed output). */
  readonly outputs: readonly {
    readonly name: string;
    readonly value: string;
    readonly dtype: DType;
    readonly shape: readonly number[];
    readonly dims?: readonly (number | string)[];
    readonly role: OutputRole;
  }[];
}

export interface Manifest {
  readonly format: "aotjs.onnx-artifacts";
  readonly version: 1;
  readonly aotjs: string;
  readonly forward: ArtifactFile;
  readonly backward?: ArtifactFile;
  readonly signature: unknown;
  readonly weights?: {
    readonly file: string;
    readonly tensors: readonly {
      readonly name: string;
      readonly dtype: DType;
      readonly shape: readonly number[];
      readonly byteOffset: number;
      readonly byteLength: number;
    }[];
  };
}

function describeFile(file: string, graph: Graph, lowered: LoweredModel, bytes: Uint8Array): ArtifactFile {
  const inputs = new Set(lowered.inputNames);
  const dims = (v: Value) => {
    const d = lowered.symbolic ? graph.symbolic?.shapes[v.name] : undefined;
    return d ? { dims: d.map(dimToJSON) } : {};
  };
  return {
    file,
    sha256: sha256(bytes),
    graphSha256: lowered.graphHash,
    opset: lowered.opset,
    irVersion: lowered.irVersion,
    // Inputs baked in as initializers (captured constants) are not session inputs.
    inputs: graph.inputs.flatMap((v, i) =>
      inputs.has(v.name)
        ? [
            {
              name: v.name,
              dtype: v.meta.dtype,
              shape: [...v.meta.shape],
              ...dims(v),
              role: graph.signature.inputs[i]!,
            },
          ]
        : [],
    ),
    outputs: graph.outputs.map((v, i) => ({
      name: lowered.outputNames[i]!,
      value: v.name,
      dtype: v.meta.dtype,
      shape: [...v.meta.shape],
      ...dims(v),
      role: graph.signature.outputs[i]!,
    })),
  };
}

/**
 * Write `forward.onnx`, `backward.onnx` (when there is a backward graph) and `manifest.json` into
 * `dir` (created if missing), plus `weights.bin` when `options.weights` is given. With these files
 * anyone can train with plain ONNX Runtime sessions: run forward, keep its saved outputs, run
 * backward on them and the output gradients, update the parameters. The manifest says which
 * output feeds which input (see aotExport's signature). Returns the manifest.
 */
export async function writeArtifacts(
  exported: ExportedArtifacts,
  dir: string,
  options: WriteArtifactsOptions = {},
): Promise<Manifest> {
  const { writeFile, mkdir } = await fs();
  await mkdir(dir, { recursive: true });
  const { weights, ...modelOptions } = options;
  const initializers = Object.fromEntries((exported.constants ?? []).map((c) => [c.name, c.value]));
  const write = async (file: string, graph: Graph, frozen: Record<string, TensorData>) => {
    // A symbolic export (aotExport's dynamicBatch) must stay symbolic: there is no per-size fallback.
    const lowered = lowerGraph(graph, { symbolic: true, ...modelOptions, initializers: frozen });
    const bytes = toBinary(ModelProtoSchema, lowered.model);
    await writeFile(await joinPath(dir, file), bytes);
    return describeFile(file, graph, lowered, bytes);
  };
  const forward = await write("forward.onnx", exported.forward, initializers);
  const backward = exported.backward ? await write("backward.onnx", exported.backward, {}) : undefined;

  let weightsEntry: Manifest["weights"];
  if (weights) {
    const inputs = new Map(exported.forward.inputs.map((v) => [v.name, v.meta]));
    let offset = 0;
    const tensors = Object.entries(weights).map(([name, t]) => {
      const meta = inputs.get(name);
      if (!meta)
        throw new OnnxBackendError(`writeArtifacts: weights has '${name}', which is not a forward input`);
      if (!sameMeta(meta, t)) {
        throw new OnnxBackendError(
          `writeArtifacts: weight '${name}' is ${formatMeta(t)}, the forward input is ${formatMeta(meta)}`,
        );
      }
      // 8-byte alignment, so every entry can be viewed in place as its typed array.
      offset = Math.ceil(offset / 8) * 8;
      const entry = {
        name,
        dtype: t.dtype,
        shape: [...t.shape],
        byteOffset: offset,
        byteLength: t.data.byteLength,
      };
      offset += t.data.byteLength;
      return { entry, t };
    });
    const blob = new Uint8Array(offset);
    for (const { entry, t } of tensors)
      blob.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), entry.byteOffset);
    await writeFile(await joinPath(dir, "weights.bin"), blob);
    weightsEntry = { file: "weights.bin", tensors: tensors.map((x) => x.entry) };
  }

  const manifest: Manifest = {
    format: "aotjs.onnx-artifacts",
    version: 1,
    aotjs: AOTJS_VERSION,
    forward,
    ...(backward ? { backward } : {}),
    signature: exported.signature,
    ...(weightsEntry ? { weights: weightsEntry } : {}),
  };
  await writeFile(await joinPath(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
