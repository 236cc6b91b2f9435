import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { aotFunction } from "@aotjs/aot";
import { Graph, GraphBuilder, type InputRole, meta, Node, Value } from "@aotjs/ir";
import { randn, type Tensor } from "@aotjs/tensor";
import { describe, expect, it } from "vitest";
import { drawGraph, graphDrawer, inputKinds, renderSvg, toDot } from "../src/node.js";
import { groupsWithClass, legendLabels, parseSvg, textLines, valueGroups } from "./support.js";

const tmp = () => mkdtemp(join(tmpdir(), "aotjs-drawer-test-"));

/** Every box has the value's name as its first line, then its op (if a node), then its meta. */
function expectBoxes(svg: string, graph: Graph) {
  const root = parseSvg(svg);
  const groups = valueGroups(root);
  expect(groups).toHaveLength(graph.inputs.length + graph.nodes.length);
  const byName = new Map(groups.map((g) => [textLines(g)[0], textLines(g)]));
  for (const v of graph.inputs) {
    const lines = byName.get(v.name);
    expect(lines, `a box for input ${v.name}`).toBeDefined();
    expect(lines).toContain(
      `${v.meta.dtype === "float32" ? "f32" : v.meta.dtype}[${v.meta.shape.join(",")}]`,
    );
  }
  for (const n of graph.nodes) {
    const lines = byName.get(n.name);
    expect(lines, `a box for node ${n.name}`).toBeDefined();
    expect(lines!.join(" ")).toContain(n.op);
  }
  return root;
}

describe("the seed example: aotFunction with graphDrawer compilers", () => {
  it("writes forward.svg and backward.svg with one box per value", async () => {
    const dir = await tmp();
    const graphs: Graph[] = [];
    const keep = (name: string) => {
      const draw = graphDrawer(name, { dir });
      return async (g: Graph, metas: Parameters<typeof draw>[1]) => {
        graphs.push(g);
        return draw(g, metas);
      };
    };
    const nf = aotFunction((x: Tensor) => x.cos().cos(), {
      fwCompiler: keep("forward"),
      bwCompiler: keep("backward"),
    });
    const inp = randn([3], { requiresGrad: true });
    const out = await nf(inp);
    await out.sum().backward();
    expect(inp.grad).toBeDefined(); // the drawer returned the graph, so it ran on the interpreter

    const [forward, backward] = graphs as [Graph, Graph];
    const fw = expectBoxes(await readFile(join(dir, "forward.svg"), "utf8"), forward);
    const bw = expectBoxes(await readFile(join(dir, "backward.svg"), "utf8"), backward);
    // Titles are the compiler names; input kinds are told apart by class (and shape).
    expect(textLines(fw)).toContain("forward");
    expect(textLines(bw)).toContain("backward");
    expect(groupsWithClass(fw, "aot-input").map((g) => textLines(g)[0])).toEqual(["primals_1"]);
    expect(groupsWithClass(bw, "aot-tangent").map((g) => textLines(g)[0])).toEqual(["tangents_1"]);
    expect(groupsWithClass(bw, "aot-saved").length).toBe(backward.inputs.length - 1);
    // min-cut's forward returns [cos_1, primals_1] (the backward recomputes cos): both marked
    expect(groupsWithClass(fw, "aot-output")).toHaveLength(2);
    const cos1 = valueGroups(fw).find((g) => textLines(g)[0] === "cos_1")!;
    expect(textLines(cos1)).toEqual(["cos_1", "cos", "f32[3]", "out 0"]);
  });

  it("graphDrawer writes DOT when asked and defaults to the working directory", async () => {
    const dir = await tmp();
    const g = chain();
    const result = await graphDrawer("net", { dir, format: "dot" })(g, g.inputMetas);
    expect(result).toBe(g);
    const dot = await readFile(join(dir, "net.dot"), "utf8");
    expect(dot.startsWith("digraph G {")).toBe(true);
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      await graphDrawer("here")(g, g.inputMetas);
    } finally {
      process.chdir(cwd);
    }
    parseSvg(await readFile(join(dir, "here.svg"), "utf8"));
  });
});

/** x -> conv2d(w, stride 2, pad 1) -> maxPool2d(3, 2, 1) -> mean over H, W -> reshape -> a parameter-free head. */
function chain(): Graph {
  const b = new GraphBuilder("net");
  const x = b.input("primals_1", meta([2, 3, 16, 16]));
  const w = b.input("conv1_weight", meta([8, 3, 3, 3]), { kind: "parameter", path: "conv1.weight" });
  const c = b.op("conv2d", [x, w], { stride: [2, 2], padding: [1, 1] });
  const p = b.op("maxPool2d", [c], { kernelSize: [3, 3], stride: [2, 2], padding: [1, 1] });
  const m = b.op("mean", [p], { dims: [2, 3], keepdim: false });
  const r = b.op("reshape", [m], { shape: [16] });
  const s = b.op("sum", [r], { dims: [0] });
  b.output([s, r]);
  return b.build();
}

describe("labels", () => {
  it("abbreviate key attributes: k3 s2 p1, dims, shape", async () => {
    const svg = await renderSvg(chain());
    const lines = valueGroups(parseSvg(svg)).map((g) => textLines(g).join(" | "));
    expect(lines).toContain("conv2d | conv2d | k3 s2 p1 | f32[2,8,8,8]");
    expect(lines).toContain("maxPool2d | maxPool2d | k3 s2 p1 | f32[2,8,4,4]");
    expect(lines).toContain("mean | mean | dims [2,3] | f32[2,8]");
    expect(lines).toContain("reshape | reshape | shape [16] | f32[16] | out 1");
    expect(lines).toContain("sum | sum | dims [0] | f32[] | out 0");
    expect(lines).toContain("primals_1 | f32[2,3,16,16]");
  });

  it("colour ops by category, consistently across drawings", () => {
    const dot = toDot(chain());
    const fill = (name: string) =>
      dot.match(new RegExp(`label=<<B>${name}</B>`)) &&
      dot
        .split("\n")
        .find((l) => l.includes(`<B>${name}</B>`))!
        .match(/fillcolor="([^"]+)"/)![1];
    expect(fill("conv2d")).toBe(fill("maxPool2d")); // both compute-heavy
    expect(fill("mean")).toBe(fill("sum")); // both reductions
    expect(new Set([fill("conv2d"), fill("mean"), fill("reshape")]).size).toBe(3);
    expect(dot).toMatch(/class="aot-value aot-op aot-compute-heavy"/);
    expect(dot).toMatch(/class="aot-value aot-op aot-layout aot-output"/);
  });

  it("shorten long names in the middle but keep them whole in the tooltip", async () => {
    const b = new GraphBuilder("g");
    const long = `layer4_1_downsample_${"x".repeat(60)}_running_mean`;
    const x = b.input(long, meta([4]), { kind: "buffer", path: "layer4.1.downsample.running_mean" });
    b.output([b.op("neg", [x])]);
    const root = parseSvg(await renderSvg(b.build(), { maxLabelLength: 30 }));
    const box = groupsWithClass(root, "aot-parameter")[0]!;
    expect(textLines(box)[0]).toMatch(/^layer4_1_downsample_.*…ning_mean$/);
    expect([...textLines(box)[0]!].length).toBe(30);
    expect(JSON.stringify(box)).toContain(long); // the tooltip
  });
});

describe("kinds, marks and the legend", () => {
  it("classify inputs by role, never by name; the parameters option adds to the roles", () => {
    // Oracle: the roles given. The names are deliberately misleading.
    const b = new GraphBuilder("g");
    const roles: InputRole[] = [
      { kind: "user_input", index: 0 },
      { kind: "parameter", path: "tangents_1" },
      { kind: "buffer", path: "bn.running_mean" },
      { kind: "constant", index: 0 },
      { kind: "rng_seed" },
      { kind: "tangent", output: 0 },
      { kind: "saved", forwardOutput: 3 },
    ];
    const names = ["fc_weight", "tangents_1", "primals_1", "x", "y", "z", "w"];
    const ins = roles.map((r, i) => b.input(names[i]!, meta([2]), r));
    b.output([b.op("add", [ins[0]!, ins[5]!])]);
    const g = b.build();
    expect(inputKinds(g, {})).toEqual([
      "input",
      "parameter",
      "parameter",
      "constant",
      "input",
      "tangent",
      "saved",
    ]);
    expect(inputKinds(g, { parameters: ["fc_weight"] })).toEqual([
      "parameter",
      "parameter",
      "parameter",
      "constant",
      "input",
      "tangent",
      "saved",
    ]);
    expect(inputKinds(g, { isTangent: (v) => v.name === "x" })[3]).toBe("tangent");
  });

  it("mark mutated inputs with the output that holds their new value", async () => {
    const b = new GraphBuilder("bn");
    const x = b.input("primals_1", meta([4]));
    const rm = b.input("running_mean", meta([4]));
    const upd = b.op("add", [rm, x], undefined, "new_mean");
    b.output([b.op("relu", [x]), upd]);
    b.mutation(rm, 1);
    const root = parseSvg(await renderSvg(b.build()));
    const mutated = groupsWithClass(root, "aot-mutated").filter((g) => g.attrs.class!.includes("aot-value"));
    expect(mutated.map((g) => textLines(g))).toEqual([["running_mean", "f32[4]", "mutated → out 1"]]);
    expect(legendLabels(root)).toContain("input updated in place");
  });

  it("explain only what the drawing uses, and drop the legend on request", async () => {
    const root = parseSvg(await renderSvg(chain()));
    expect(textLines(groupsWithClass(root, "aot-legend")[0]!)).toEqual(["legend"]);
    const legend = legendLabels(root);
    expect(legend.sort()).toEqual(
      [
        "input",
        "parameter / buffer",
        "reduction",
        "layout (view / copy)",
        "compute-heavy",
        "graph output (double border)",
      ].sort(),
    );
    expect(legend).not.toContain("pointwise");
    expect(legend).not.toContain("tangent (incoming gradient)");
    const bare = parseSvg(await renderSvg(chain(), { legend: false, title: "no legend" }));
    expect(groupsWithClass(bare, "aot-legend")).toHaveLength(0);
    expect(textLines(bare)).toContain("no legend");
  });
});

describe("drawGraph", () => {
  it("writes SVG by default and DOT for .dot, creating folders", async () => {
    const dir = await tmp();
    const g = chain();
    const svgPath = await drawGraph(g, join(dir, "a/b/net.svg"));
    expectBoxes(await readFile(svgPath, "utf8"), g);
    await drawGraph(g, join(dir, "net.dot"));
    expect(await readFile(join(dir, "net.dot"), "utf8")).toBe(toDot(g));
    await drawGraph(g, join(dir, "noext"));
    expect(await readFile(join(dir, "noext"), "utf8")).toMatch(/^<\?xml/);
  });

  it("draws an empty graph and a graph whose outputs are its inputs", async () => {
    const b = new GraphBuilder("id");
    const x = b.input("primals_1", meta([2]));
    b.output([x, x]);
    const root = parseSvg(await renderSvg(b.build()));
    expect(valueGroups(root).map(textLines)).toEqual([["primals_1", "f32[2]", "out 0, out 1"]]);
  });

  it("still draws a malformed hand-built graph: a value from nowhere, an op outside the catalog", async () => {
    const stray = new Value("stray", meta([2]));
    const node = new Node("frobnicate" as never, [stray], { level: 3 } as never, "odd", meta([2]));
    const root = parseSvg(await renderSvg(new Graph("g", [], [node], [node.output])));
    const lines = valueGroups(root).map(textLines);
    expect(lines).toContainEqual(["stray", "f32[2]", "not in graph"]);
    expect(lines).toContainEqual(["odd", "frobnicate", "level=3", "f32[2]", "out 0"]);
    expect(legendLabels(root)).toContain("op outside the catalog");
  });
});
