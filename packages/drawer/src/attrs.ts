import {
  type AnyNode,
  dtypeInfo,
  formatMeta,
  isDType,
  type Node,
  nonDefaultAttrs,
  type TensorMeta,
} from "@aotjs/ir";

// Short attribute summaries for node labels: `k3 s2 p1` for a conv, `dims [2,3]` for a mean,
// `shape [1,512]` for a reshape. A label has room for a dozen characters, so each op shows the
// few attributes that tell two nodes of that op apart, in the spelling PyTorch users know.

const isNums = (v: unknown): v is readonly number[] =>
  Array.isArray(v) && v.every((x) => typeof x === "number");
const list = (v: unknown): string => (isNums(v) ? `[${v.join(",")}]` : plain(v));

/** `k3` for a square window, `k3x1` otherwise; nothing when every entry is the default. */
function pair(prefix: string, v: unknown, dflt?: number): string | undefined {
  if (!isNums(v) || v.length === 0) return v === undefined ? undefined : `${prefix}${plain(v)}`;
  if (dflt !== undefined && v.every((x) => x === dflt)) return undefined;
  return `${prefix}${v.every((x) => x === v[0]) ? v[0] : v.join("x")}`;
}

/** Any attribute value as short text: arrays as `[1,2]`, dtypes by their short name, numbers rounded. */
export function plain(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(plain).join(",")}]`;
  if (typeof v === "string") return isDType(v) ? dtypeInfo[v].short : v;
  // Four significant digits: `1.008`, not `1.0078740157480315` (the tooltip has the exact value).
  if (typeof v === "number")
    return Object.is(v, -0) ? "-0" : Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
  if (v === null || typeof v !== "object") return String(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}

const join = (parts: (string | false | undefined)[]): string => parts.filter(Boolean).join(" ");

/** The kernel size a conv reads off its weight's meta (OIHW): the conv itself has no such attribute. */
const kernelOf = (weight: TensorMeta | undefined) => (weight ? weight.shape.slice(2) : undefined);

function summarize(node: AnyNode): string {
  switch (node.op) {
    case "conv2d":
    case "conv2dBackwardInput":
    case "conv2dBackwardWeight": {
      const a = node.attrs;
      const kernel =
        node.op === "conv2dBackwardWeight" ? node.attrs.weightShape.slice(2) : kernelOf(node.inputs[1]?.meta);
      return join([
        pair("k", kernel),
        pair("s", a.stride, 1),
        pair("p", a.padding, 0),
        pair("d", a.dilation, 1),
        a.groups !== 1 && `g${a.groups}`,
      ]);
    }
    case "maxPool2d":
    case "maxPool2dBackward":
      return join([
        pair("k", node.attrs.kernelSize),
        pair("s", node.attrs.stride),
        pair("p", node.attrs.padding, 0),
        pair("d", node.attrs.dilation, 1),
        node.attrs.ceilMode && "ceil",
      ]);
    case "avgPool2d":
    case "avgPool2dBackward":
      return join([
        pair("k", node.attrs.kernelSize),
        pair("s", node.attrs.stride),
        pair("p", node.attrs.padding, 0),
        node.attrs.ceilMode && "ceil",
        !node.attrs.countIncludePad && "excl-pad",
      ]);
    case "sum":
    case "mean":
    case "amax":
    case "amin":
      return join([`dims ${list(node.attrs.dims)}`, node.attrs.keepdim && "keepdim"]);
    case "argmax":
      return join([`dim ${node.attrs.dim}`, node.attrs.keepdim && "keepdim"]);
    case "reshape":
    case "expand":
      return `shape ${list(node.attrs.shape)}`;
    case "permute":
    case "squeeze":
    case "unsqueeze":
      return `dims ${list(node.attrs.dims)}`;
    case "slice": {
      const { dim, start, end, step } = node.attrs;
      return `dim ${dim} [${start}:${end}${step === 1 ? "" : `:${step}`}]`;
    }
    case "concat":
    case "gather":
    case "scatterAdd":
      return `dim ${node.attrs.dim}`;
    case "pad":
      return join([
        `${list(node.attrs.before)} / ${list(node.attrs.after)}`,
        node.attrs.value !== 0 && `value ${plain(node.attrs.value)}`,
      ]);
    case "cast":
      return `to ${plain(node.attrs.dtype)}`;
    case "full":
      return `value ${plain(node.attrs.value)}`;
    case "arange": {
      const { start, end, step } = node.attrs;
      return `${plain(start)}:${plain(end)}${step === 1 ? "" : `:${plain(step)}`}`;
    }
    case "uniform":
      return `[${plain(node.attrs.low)}, ${plain(node.attrs.high)})`;
    case "bernoulli":
      return `p ${plain(node.attrs.p)}`;
    default:
      return generic(node);
  }
}

/** An attribute value exactly, for tooltips: full-precision numbers, dtypes by their full name. */
function exact(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(exact).join(",")}]`;
  if (typeof v === "number") return Object.is(v, -0) ? "-0" : String(v);
  return typeof v === "string" ? v : plain(v);
}

/**
 * Every non-default attribute as `key=value`: the fallback summary (rounded) and, with
 * `precise`, what tooltips show.
 */
export function generic(node: Node, precise = false): string {
  const show = precise ? exact : plain;
  let entries: [string, unknown][];
  try {
    entries = nonDefaultAttrs(node);
  } catch {
    // A node built by hand may carry an op the catalog doesn't know: show what it holds.
    entries = Object.entries((node.attrs ?? {}) as Record<string, unknown>);
  }
  return entries.map(([k, v]) => `${k}=${show(v)}`).join(" ");
}

/**
 * The abbreviated attributes of a node. Graphs built by hand (not through `GraphBuilder`) may
 * lack attributes their op requires; the drawer must still draw them, so a summary that throws
 * falls back to listing whatever attributes are there.
 */
export function attrSummary(node: Node): string {
  try {
    return summarize(node as AnyNode);
  } catch {
    return generic(node);
  }
}

/** `f32[3,4]`, or a best effort for a meta that isn't one (hand-built graphs). */
export function metaText(meta: TensorMeta | undefined): string {
  if (!meta) return "?";
  try {
    return formatMeta(meta);
  } catch {
    return `${plain((meta as { dtype?: unknown }).dtype)}${plain((meta as { shape?: unknown }).shape)}`;
  }
}
