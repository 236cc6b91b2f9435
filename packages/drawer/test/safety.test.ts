// Names and attribute values from a graph must never become DOT or SVG syntax. The builder and
// `lint` only accept identifiers, so these graphs are assembled from `Graph`/`Value`/`Node`
// directly, the way a hand-written or deserialized-and-tampered graph could be.
import { Graph, Node, type OpName, type TensorMeta, Value } from "@aotjs/ir";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { html, printable, quote, tooltip, truncate } from "../src/escape.js";
import { partitionToDot, renderPartitionSvg, renderSvg, toDot } from "../src/index.js";
import { elementNames, parseSvg, textLines, valueGroups, walk } from "./support.js";

const HOSTILE = [
  "<script>alert(1)</script>",
  '"];evil [label="pwned"]; x -> y; "',
  "</text></g><script>alert(2)</script><g>",
  "&amp;&lt;b&gt;&#60;script&#62;",
  "<![CDATA[ ]]> <!-- c --> ?>",
  "\\N \\G \\E \\\\ \\",
  "{label=<<B>x</B>>}|<f0>",
  "it's \"quoted\" ' <>",
  "line\nbreak\ttab",
  "ctl\u0001\u0008\u001f\u007f\u0085",
  "lone\ud800surrogate\udfff",
  "nonchar\uffff",
  "😀 ünïcödé → ok",
];

/** What the drawing shows for a name: control characters and lone surrogates as escapes. */
const shown = (s: string) => printable(s);

/** DOT text with every double-quoted string (escapes included) blanked out. */
const outsideStrings = (dot: string) => dot.replace(/"(?:[^"\\]|\\.)*"/g, '""');

const m = (shape: number[], dtype = "float32"): TensorMeta => ({ shape, dtype }) as TensorMeta;

function hostileGraph(): Graph {
  const inputs = HOSTILE.map((name) => new Value(name, m([2])));
  const nodes: Node[] = [];
  inputs.forEach((v, i) => {
    nodes.push(new Node("cos", [v], {} as never, `${HOSTILE[(i + 1) % HOSTILE.length]}#${i}`, m([2])));
  });
  // Attribute values, an op name outside the catalog, a meta whose dtype is not a dtype.
  nodes.push(new Node("cast", [inputs[0]!], { dtype: '"];evil' } as never, "bad_attr", m([2])));
  nodes.push(new Node("reshape", [inputs[1]!], { shape: ["<script>", 2] } as never, "bad_shape", m([2])));
  nodes.push(
    new Node(
      "<img src=x onerror=alert(3)>" as OpName,
      [inputs[2]!],
      { payload: "</svg><script>alert(4)</script>", n: 1 } as never,
      "unknown_op",
      m([2], "<b>bold</b>"),
    ),
  );
  return new Graph('<script>alert("title")</script>"];', inputs, nodes, [nodes[0]!.output, inputs[3]!], {
    inputs: inputs.map((_, index) => ({ kind: "user_input", index })),
    outputs: [
      { kind: "user_output", index: 0 },
      { kind: "mutation", input: 4 },
    ],
  });
}

describe("escaping", () => {
  it("html() and quote() leave no syntax behind", () => {
    expect(html(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    expect(quote('say "hi" \\N\nnext')).toBe('"say \\"hi\\" \\\\N\\nnext"');
    expect(printable("a\u0000b\u007fc\ud800d😀")).toBe("a\\u{0}b\\u{7f}c\\u{d800}d😀");
    expect(truncate("abcdefghijklmnopqrstuvwxyz", 10)).toBe("abcdef…xyz");
    expect(truncate("😀😀😀😀😀😀😀😀😀😀😀😀", 8)).toBe("😀😀😀😀😀…😀😀");
    expect(tooltip("a\\N\nb\u0001")).toBe('"a\\\\\\\\N\\nb\\\\\\\\u{1}"');
    expect(truncate("short", 10)).toBe("short");
  });

  it("DOT: hostile names only ever appear escaped, and node ids are synthetic", () => {
    const g = hostileGraph();
    const dot = toDot(g);
    // Outside DOT's quoted strings (which are data), no name leaves a trace: labels hold only entities.
    const syntax = outsideStrings(dot);
    expect(syntax).not.toContain("<script");
    expect(syntax).not.toMatch(/\bx -> y\b/);
    // Every line is one of the statements the writer makes: names never start a line of their own.
    const statement =
      /^(digraph G \{|\}| {2}(graph|node|edge) \[.*\];| {2}v\d+ \[.*\];| {2}v\d+ -> v\d+;| {2}subgraph cluster_legend \{| {4}(graph|node) \[.*\];| {4}legend\d+ \[.*\];| {4}\{ rank=same;( legend\d+;?)+ \}| {4}legend\d+( -> legend\d+)+ \[style=invis\];| {2}\}|)$/;
    for (const line of dot.split("\n")) expect(line).toMatch(statement);
    // One statement per value, with ids v0..vN; the only other statements are edges and the legend.
    const ids = [...dot.matchAll(/^ {2}(v\d+) \[/gm)].map((x) => x[1]);
    expect(ids).toEqual(g.values.map((_, i) => `v${i}`));
    const edges = [...dot.matchAll(/^ {2}(\S+) -> (\S+);$/gm)].map((x) => [x[1], x[2]]);
    expect(edges).toHaveLength(g.nodes.reduce((s, n) => s + n.inputs.length, 0));
    for (const [a, b] of edges) expect([a, b].every((id) => /^v\d+$/.test(id!))).toBe(true);
  });

  it("SVG: Graphviz parses the DOT, the SVG is well-formed, no element is injected, the text reads as written", async () => {
    const g = hostileGraph();
    const svg = await renderSvg(g, { maxLabelLength: 100 });
    expect(svg).not.toMatch(/<script/i);
    expect(svg).not.toMatch(/<img/i);
    const root = parseSvg(svg);
    const names = elementNames(root);
    for (const bad of ["script", "img", "foreignobject", "iframe", "b"]) expect(names.has(bad)).toBe(false);
    // No event-handler attributes anywhere.
    for (const e of walk(root))
      for (const k of Object.keys(e.attrs)) expect(k.toLowerCase()).not.toMatch(/^on/);

    // One box per value: nothing was split off or injected as an extra node.
    const groups = valueGroups(root);
    expect(groups).toHaveLength(g.inputs.length + g.nodes.length);
    const firstLines = groups.map((x) => textLines(x)[0]);
    for (const v of g.values) expect(firstLines).toContain(shown(v.name));
    const all = textLines(root);
    expect(all).toContain(shown(g.name));
    expect(all).toContain("<img src=x onerror=alert(3)>"); // the unknown op, as text
    expect(all.some((t) => t.includes('dtype="];evil') || t.includes('to "];evil'))).toBe(true);
    expect(all).toContain("<b>bold</b>[2]");
    expect(all).toContain("mutated → out 1");
  });

  it("tooltips keep backslashes and quotes literally", async () => {
    const name = 'a\\N"b';
    const x = new Value(name, m([1]));
    const y = new Node("neg", [x], {} as never, "y", m([1]));
    const root = parseSvg(await renderSvg(new Graph("g", [x], [y], [y.output])));
    const titles = [...walk(root)]
      .map((e) => e.attrs["xlink:title"])
      .filter((t): t is string => t !== undefined);
    expect(titles.some((t) => t.startsWith(`${name}: f32[1]`))).toBe(true);
    expect(titles.some((t) => t.startsWith(`y: f32[1] = neg(${name})`))).toBe(true);
  });

  it("partition drawings escape names too", async () => {
    const x = new Value("<script>x</script>", m([2]));
    const fwNode = new Node("cos", [x], {} as never, '"];saved', m([2]));
    const forward = new Graph("forward", [x], [fwNode], [fwNode.output, fwNode.output], {
      inputs: [{ kind: "user_input", index: 0 }],
      outputs: [{ kind: "user_output", index: 0 }, { kind: "saved" }],
    });
    const saved = new Value('"];saved', m([2]));
    const t = new Value("tangents_1", m([2]));
    const bwNode = new Node("mul", [saved, t], {} as never, "<b>grad</b>", m([2]));
    const backward = new Graph("backward", [saved, t], [bwNode], [bwNode.output], {
      inputs: [
        { kind: "saved", forwardOutput: 1 },
        { kind: "tangent", output: 0 },
      ],
      outputs: [{ kind: "gradient", of: { kind: "user_input", index: 0 } }],
    });
    const result = { forward, backward, savedValues: [fwNode.output], numForwardOutputs: 1 };
    expect(outsideStrings(partitionToDot(result))).not.toContain("<script");
    const root = parseSvg(await renderPartitionSvg(result));
    expect(elementNames(root).has("script")).toBe(false);
    expect(textLines(root)).toEqual(
      expect.arrayContaining(["<script>x</script>", '"];saved', "<b>grad</b>", "saved 8 B"]),
    );
  });

  it("any string at all reads back exactly, in a well-formed SVG (property)", async () => {
    // Full Unicode plus lone surrogates and the characters that matter to DOT, HTML and XML.
    const nasty = fc.constantFrom(..."<>&\"'\\]}[{;|-\n\t\u0000\u0085\ud800\udc00\uffff");
    const name = fc
      .array(fc.oneof(nasty, fc.string({ unit: "binary", maxLength: 3 })), { maxLength: 12 })
      .map((xs) => xs.join(""));
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(name, { minLength: 2, maxLength: 4 }),
        name,
        async (names, graphName) => {
          const inputs = names.slice(1).map((n) => new Value(n, m([1])));
          const node = new Node("neg", [inputs[0]!], {} as never, names[0]!, m([1]));
          const g = new Graph(graphName, inputs, [node], [node.output]);
          const root = parseSvg(await renderSvg(g, { maxLabelLength: 1000 }));
          expect(elementNames(root).has("script")).toBe(false);
          const groups = valueGroups(root);
          expect(groups).toHaveLength(g.values.length);
          const expected = (s: string) =>
            shown(s)
              .replace(/\u00a0/g, " ")
              .trim() || "(unnamed)";
          expect(groups.map((x) => textLines(x)[0]).sort()).toEqual(
            g.values.map((v) => expected(v.name)).sort(),
          );
        },
      ),
      { numRuns: 60 },
    );
  });
});
