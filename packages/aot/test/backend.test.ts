// aotFunction(f, { backend }): a Backend's compilers per role, its supported ops and its own
// decompositions; the clash with explicit compilers; configureBackend; aotModule and aotExport.
import {
  type Backend,
  type CompilerRole,
  configureBackend,
  type Graph,
  type OpName,
  opNames,
} from "@aotjs/ir";
import { Linear } from "@aotjs/nn";
import { manualSeed, randn, type Tensor } from "@aotjs/tensor";
import { describe, expect, it } from "vitest";
import { AotError, aotExport, aotFunction, aotModule } from "../src/index.js";
import { verifyAot } from "./support.js";

const rg = { requiresGrad: true } as const;

/** A backend that runs every graph it is given on the reference interpreter, and records them. */
function recordingBackend(
  supported: Iterable<OpName> = opNames,
  extra: Partial<Backend> = {},
): Backend<{ tag?: string }> & { seen: { role?: CompilerRole; tag?: string; graph: Graph }[] } {
  const seen: { role?: CompilerRole; tag?: string; graph: Graph }[] = [];
  return {
    name: "recording",
    supportedOps: new Set(supported),
    ...extra,
    compiler: (options, role) => (graph) => {
      seen.push({ ...(role ? { role } : {}), ...(options?.tag ? { tag: options.tag } : {}), graph });
      return graph;
    },
    seen,
  };
}

const opsOf = (g: Graph | undefined) => new Set(g!.nodes.map((n) => n.op));

describe("aotFunction with a backend", () => {
  it("compiles the forward and the backward with the backend's compiler for each role", async () => {
    manualSeed(0);
    const backend = recordingBackend();
    const f = (x: Tensor, w: Tensor) => x.matmul(w).tanh().sum();
    // Oracle: eager autograd on the reference kernels (verifyAot runs both partitioners).
    const { graphs } = await verifyAot(f, [randn([3, 4], rg), randn([4, 2], rg)], { backend });
    expect(backend.seen.map((s) => s.role)).toEqual(["forward", "backward", "forward", "backward"]);
    expect(backend.seen[3]!.graph).toBe(graphs.backward);
  });

  it("compiles the inference graph with the inference role", async () => {
    const backend = recordingBackend();
    const out = await aotFunction((x: Tensor) => x.exp(), { backend })(randn([2]));
    expect(out.shape).toEqual([2]);
    expect(backend.seen.map((s) => s.role)).toEqual(["inference"]);
  });

  it("decomposes the ops the backend lacks before its compiler sees the graph", async () => {
    manualSeed(1);
    const backend = recordingBackend(opNames.filter((op) => op !== "sigmoid" && op !== "relu"));
    const f = (x: Tensor) => x.sigmoid().add(x.relu()).sum();
    const { graphs } = await verifyAot(f, [randn([5], rg)], { backend });
    for (const g of [graphs.forward, graphs.backward]) {
      expect(opsOf(g).has("sigmoid")).toBe(false);
      expect(opsOf(g).has("relu")).toBe(false);
    }
  });

  it("uses the backend's own decompositions over the defaults, and the user's over the backend's", async () => {
    manualSeed(2);
    // The default rewrites relu as maximum(x, 0); this backend prefers where(x > 0, x, 0).
    const backend = recordingBackend(
      opNames.filter((op) => op !== "relu"),
      { decompositions: { relu: ([x]: readonly Tensor[]) => x!.where(x!.gt(0), 0) } },
    );
    const f = (x: Tensor) => x.relu().mul(3).sum();
    const own = await verifyAot(f, [randn([6], rg)], { backend });
    expect(opsOf(own.graphs.forward).has("where")).toBe(true);
    expect(opsOf(own.graphs.forward).has("maximum")).toBe(false);
    const user = await verifyAot(f, [randn([6], rg)], {
      backend,
      decompositions: { relu: ([x]) => x!.maximum(0) },
    });
    expect(opsOf(user.graphs.forward).has("maximum")).toBe(true);
  });

  it("refuses a backend together with explicit compilers or supportedOps, naming both", () => {
    const backend = recordingBackend();
    const f = (x: Tensor) => x.exp();
    expect(() => aotFunction(f, { backend, fwCompiler: (g) => g })).toThrow(AotError);
    expect(() => aotFunction(f, { backend, bwCompiler: (g) => g, supportedOps: ["exp"] })).toThrow(
      "aotFunction: pass either `backend` ('recording') or `bwCompiler`, `supportedOps`, not both",
    );
    expect(() => aotModule(new Linear(2, 2), { backend, inferenceCompiler: (g) => g })).toThrow(
      "`inferenceCompiler`",
    );
  });

  it("refuses an object that is not a Backend", () => {
    const notBackend = { name: "half", supportedOps: ["exp"] } as unknown as Backend;
    expect(() => aotFunction((x: Tensor) => x.exp(), { backend: notBackend })).toThrow(
      "backend 'half' is not a Backend",
    );
  });

  it("configureBackend fixes the options every role's compiler gets", async () => {
    const backend = recordingBackend();
    const configured = configureBackend(backend, { tag: "fast" });
    expect(configured.supportedOps).toBe(backend.supportedOps);
    await aotFunction((x: Tensor) => x.exp(), { backend: configured })(randn([2]));
    expect(backend.seen).toMatchObject([{ role: "inference", tag: "fast" }]);
  });
});

describe("aotModule and aotExport with a backend", () => {
  it("aotModule trains through the backend's compilers", async () => {
    manualSeed(3);
    const backend = recordingBackend(opNames.filter((op) => op !== "sigmoid"));
    const layer = new Linear(4, 3);
    const m = aotModule(layer, { backend });
    const x = randn([2, 4]);
    const loss = (await m.forward(x)).sigmoid().sum();
    await loss.backward();
    // Oracle: the same module run eagerly on the reference kernels.
    const eager = layer.forward(x).sigmoid().sum();
    expect(loss.item()).toBeCloseTo(eager.item() as number, 5);
    expect(backend.seen.map((s) => s.role)).toEqual(["forward", "backward"]);
    expect(layer.weight.grad).not.toBeNull();
  });

  it("aotExport decomposes to the backend's ops and refuses explicit supportedOps with it", () => {
    const backend = recordingBackend(opNames.filter((op) => op !== "sigmoid"));
    const exported = aotExport((x: Tensor) => x.sigmoid(), [randn([3])], { backend });
    expect(opsOf(exported.forward).has("sigmoid")).toBe(false);
    expect(() =>
      aotExport((x: Tensor) => x.sigmoid(), [randn([3])], { backend, supportedOps: ["exp"] }),
    ).toThrow("aotExport: pass either `backend`");
  });
});
