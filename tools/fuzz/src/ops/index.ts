// The fuzzer's op table: every op a generated program may use. To add one, write an `OpDef`
// (gen, infer, apply, domain, list) in the file of its kind and list it here.
import { binaryOps, castOps, logicOps, unaryOps } from "./elementwise.js";
import { layoutOps } from "./layout.js";
import { miscOps } from "./misc.js";
import { reduceOps } from "./reduce.js";
import type { OpDef } from "./types.js";

export const opTable = {
  ...unaryOps,
  ...binaryOps,
  ...logicOps,
  ...castOps,
  ...reduceOps,
  ...layoutOps,
  ...miscOps,
} satisfies Record<string, OpDef>;

export type FuzzOp = keyof typeof opTable;
export const fuzzOps = Object.keys(opTable) as FuzzOp[];

export const opDef = (name: string): OpDef | undefined =>
  Object.hasOwn(opTable, name) ? (opTable as Record<string, OpDef>)[name] : undefined;

export { MARGIN } from "./helpers.js";
export type { GenContext, GenValue, OpDef, Proposal, RunContext } from "./types.js";
