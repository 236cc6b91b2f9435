import { describe, expect, test } from "vitest";
import {
  binaryOpNames,
  catalog,
  convOpNames,
  domainKinds,
  matmulOpNames,
  meta,
  type OpDef,
  opNames,
  poolOpNames,
  ShapeError,
  ternaryOpNames,
  unaryOpNames,
} from "../src/index.js";

// Oracle: each entry's own declared inputs, attributes and shape rule. The `kind` and `domain`
// fields route an op to its tables, so they must agree with what the entry really is.
const entry = (op: string): OpDef => catalog[op as keyof typeof catalog] as OpDef;

describe("the op groups derived from the catalog", () => {
  test("unary ops have one input and no attributes, binary two, ternary three", () => {
    for (const op of unaryOpNames) {
      expect(entry(op).inputs, op).toHaveLength(1);
      expect(Object.keys(entry(op).attrs), op).toEqual([]);
    }
    for (const op of binaryOpNames) {
      expect(entry(op).inputs, op).toHaveLength(2);
      expect(Object.keys(entry(op).attrs), op).toEqual([]);
    }
    for (const op of ternaryOpNames) expect(entry(op).inputs, op).toHaveLength(3);
  });

  test("the groups partition the pointwise and compute-heavy ops", () => {
    const pointwise = opNames.filter((op) => catalog[op].category === "pointwise");
    expect([...unaryOpNames, ...binaryOpNames, ...ternaryOpNames, "cast"].sort()).toEqual(pointwise.sort());
    const compute = opNames.filter((op) => catalog[op].category === "compute-heavy");
    expect([...matmulOpNames, ...convOpNames, ...poolOpNames].sort()).toEqual(compute.sort());
    expect(unaryOpNames).toContain("erf");
    expect(binaryOpNames).toContain("logicalOr");
    expect(binaryOpNames).not.toContain("where");
  });

  test("a unary or binary op accepts exactly the dtype kinds of its domain", () => {
    const sample = { float: "float32", int: "int32", bool: "bool" } as const;
    for (const op of [...unaryOpNames, ...binaryOpNames]) {
      const def = catalog[op] as OpDef & { readonly domain: keyof typeof domainKinds };
      for (const kind of ["float", "int", "bool"] as const) {
        const inputs = def.inputs.map(() => meta([2], sample[kind]));
        const run = () => def.infer(inputs, {});
        // logicalNot takes any dtype; every other op's rule checks its domain's kinds.
        if (domainKinds[def.domain].includes(kind)) expect(run, `${op} on ${kind}`).not.toThrow();
        else expect(run, `${op} on ${kind}`).toThrow(ShapeError);
      }
    }
  });
});
