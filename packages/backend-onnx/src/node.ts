// @aotjs/backend-onnx/node: everything `@aotjs/backend-onnx` has, with `onnxCompiler` on
// onnxruntime-node (a thread pool per session sized to the machine, ORT's profiler) and the
// functions that write model files. Node's modules are imported here only, so the main entry
// bundles for browsers.
import { type Backend, type Graph, type OpName, opNames } from "@aotjs/ir";
import { create, toBinary } from "@bufbuild/protobuf";
import {
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  ValueInfoProtoSchema,
} from "onnx-buf";
import {
  createOnnxCompiler,
  type OnnxCompiler,
  type OnnxCompilerOptions,
  type OrtModule,
  type OrtRuntime,
  sessionThreads,
} from "./compiler.js";
import { OnnxBackendError } from "./errors.js";
import { valueInfo } from "./proto.js";

export {
  type ArtifactFile,
  type ExportedArtifacts,
  exportOnnx,
  type Manifest,
  type WriteArtifactsOptions,
  writeArtifacts,
} from "./export.js";
export * from "./index.js";

let nodeOrt: Promise<OrtModule> | undefined;

/** onnxruntime-node, loaded on first use. */
function loadNodeOrt(): Promise<OrtModule> {
  nodeOrt ??= import("onnxruntime-node").then(
    (m) => {
      const mod = m as unknown as OrtModule & { default?: OrtModule };
      return mod.InferenceSession ? mod : mod.default!;
    },
    (e: unknown) => {
      throw new OnnxBackendError(
        `onnxCompiler: onnxruntime-node could not be imported (${(e as Error)?.message ?? e}). Install it (npm install onnxruntime-node), or pass onnxCompiler({ ort })`,
        { cause: e },
      );
    },
  );
  return nodeOrt;
}

/**
 * Where ORT writes a session's profile: a fresh temporary folder, so concurrent sessions never
 * read each other's files. Node only (ORT's web build prints its profile to the console instead).
 */
export async function profileFolder(graph: Graph): Promise<{ prefix: string; read: () => Promise<unknown> }> {
  const [{ mkdtemp, readdir, readFile, rm }, { tmpdir }, { join }] = await Promise.all([
    import("node:fs/promises"),
    import("node:os"),
    import("node:path"),
  ]);
  const dir = await mkdtemp(join(tmpdir(), "aotjs-ort-profile-"));
  return {
    prefix: join(dir, "profile"),
    read: async () => {
      try {
        const file = (await readdir(dir)).find((f) => f.endsWith(".json"));
        if (!file) throw new OnnxBackendError(`graph '${graph.name}': ORT wrote no profile into ${dir}`);
        return JSON.parse(await readFile(join(dir, file), "utf8"));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/** A model of one NCHWc ReorderInput from 4 channels: its output has them padded to one block. */
const reorderProbe = () =>
  toBinary(
    ModelProtoSchema,
    create(ModelProtoSchema, {
      irVersion: 8n,
      opsetImport: [
        create(OperatorSetIdProtoSchema, { domain: "", version: 17n }),
        create(OperatorSetIdProtoSchema, { domain: "com.microsoft.nchwc", version: 1n }),
      ],
      graph: create(GraphProtoSchema, {
        name: "nchwc_block",
        node: [
          create(NodeProtoSchema, {
            opType: "ReorderInput",
            domain: "com.microsoft.nchwc",
            input: ["x"],
            output: ["y"],
          }),
        ],
        input: [valueInfo("x", { shape: [1, 4, 1, 1], dtype: "float32" })],
        output: [create(ValueInfoProtoSchema, { name: "y" })],
      }),
    }),
  );

const nchwcBlocks = new WeakMap<OrtModule, Promise<number>>();

/**
 * ORT's NCHWc channel block on this machine (MLAS's `MlasNchwcGetBlockSize`, which depends on
 * the CPU's vector width), asked once per ORT module; 0 where its build has no NCHWc kernels.
 */
function nchwcBlock(ort: OrtModule): Promise<number> {
  let block = nchwcBlocks.get(ort);
  if (!block) {
    block = (async () => {
      const session = await ort.InferenceSession.create(reorderProbe(), {
        logSeverityLevel: 4,
        intraOpNumThreads: 1,
      });
      try {
        const x = new ort.Tensor("float32", new Float32Array(4), [1, 4, 1, 1]);
        const channels = Number((await session.run({ x })).y!.dims[1]);
        return channels > 4 ? channels : 0;
      } finally {
        await session.release();
      }
    })().catch(() => 0);
    nchwcBlocks.set(ort, block);
  }
  return block;
}

const nodeRuntime: OrtRuntime = {
  load: loadNodeOrt,
  async sessionDefaults(_ort, graph, options) {
    // Every runtime under Node gets the machine's cores, a caller-supplied one too: Node 20 has no
    // navigator, and leaving the count to ORT ran a session passed onnxruntime-node at one thread.
    const available = (await import("node:os")).availableParallelism();
    const threads = sessionThreads(graph, options, available);
    return { executionProviders: ["cpu"], ...(threads !== undefined ? { intraOpNumThreads: threads } : {}) };
  },
  profileFolder,
  nchwcBlock,
};

/**
 * A `Compiler` that lowers each graph to ONNX and runs it on onnxruntime-node (or the `ort`
 * passed): one InferenceSession per graph, created at compile time and reused by every call.
 *
 *   const f = aotFunction(fn, { fwCompiler: onnxCompiler(), bwCompiler: onnxCompiler() });
 */
export function onnxCompiler(options: OnnxCompilerOptions = {}): OnnxCompiler {
  return createOnnxCompiler(options, nodeRuntime);
}

/** The ONNX backend on onnxruntime-node (see `onnxBackend` in the main entry). */
export const onnxBackend: Backend<OnnxCompilerOptions> = {
  name: "onnx",
  supportedOps: new Set<OpName>(opNames),
  compiler: (options?: OnnxCompilerOptions) => onnxCompiler(options),
};
