// The shared conformance suite (@aotjs/conformance, its one-call checkBackend) on both TF.js backends this machine has: every
// catalog op and its partitioned forward and backward graphs, on the shared samples, against the
// reference interpreter within 1e-5 relative (float32).
//
// Two kinds of sample are outside what TF.js can represent, and must fail with a clear error
// instead of a wrong answer: float64 anywhere (TF.js has no float64: a compile-time error naming
// the input or node), and int64 values outside int32 (TF.js has no int64: this backend runs int64
// as int32 and refuses values that do not fit, except the random ops' seeds, which never go to the
// device). Every other case must pass.
import { type ConformanceCase, checkBackend, conformanceCases, runConformanceCase } from "@aotjs/conformance";
import { configureBackend, opNames } from "@aotjs/ir";
import { describe, expect, test } from "vitest";
import { tfjsBackend, tfjsCompiler } from "../src/index.js";

const RTOL = 1e-5;
const cases = conformanceCases();

/** Why TF.js cannot run the case, or undefined when it must pass. */
function unsupported(c: ConformanceCase): string | undefined {
  const attrs = c.sample.attrs as { dtype?: string } | undefined;
  if (
    attrs?.dtype === "float64" ||
    (c.sample.keepDType && c.sample.inputs.some((t) => t.dtype === "float64"))
  ) {
    return "float64";
  }
  // Random ops read their int64 seed and offset exactly on the host, so those may be any size.
  const outOfInt32 = (v: bigint) => v < -2147483648n || v > 2147483647n;
  if (
    c.op !== "uniform" &&
    c.op !== "bernoulli" &&
    c.sample.inputs.some((t) => t.dtype === "int64" && Array.from(t.data as BigInt64Array).some(outOfInt32))
  ) {
    return "does not fit int32";
  }
  return undefined;
}

describe.each(["cpu", "wasm"])("conformance on the TF.js %s backend", (backend) => {
  const compiler = tfjsCompiler({ backend });
  const supported = cases.filter((c) => !unsupported(c));
  const refused = cases.filter((c) => unsupported(c));

  test("the suite covers every op, forward and backward", () => {
    expect(new Set(cases.map((c) => c.op)).size).toBe(opNames.length);
    expect(cases.filter((c) => c.phase === "backward").length).toBeGreaterThan(200);
    expect(refused.length).toBeLessThan(20);
  });

  test("checkBackend(tfjsBackend): every case it declares passes; float64 is skipped as undeclared", async () => {
    const outOfRange = (c: ConformanceCase) =>
      unsupported(c) === "does not fit int32" ? "int64 values outside int32" : undefined;
    const report = await checkBackend(configureBackend(tfjsBackend, { backend }), {
      rtol: RTOL,
      skip: outOfRange,
    });
    expect(report.failed, report.summary).toBe(0);
    const skipped = report.results.filter((r) => r.status === "skipped");
    expect(
      skipped.every((r) => /declares no dtype float64|int64 values outside int32/.test(r.message!)),
    ).toBe(true);
    expect(report.passed).toBeGreaterThanOrEqual(supported.length);
  });

  test.each(refused.map((c) => [c.id, c] as const))("%s is refused with a clear error", async (_id, c) => {
    const result = await runConformanceCase(compiler, c, { rtol: RTOL });
    expect(result.status).toBe("failed");
    expect(result.message).toContain(unsupported(c));
    // The error names the graph and the input or node it is about.
    expect(result.message).toMatch(/graph '\w+': (input \d+ '\w+'|\w+ \(node '\w+'\) of )/);
  });
});
