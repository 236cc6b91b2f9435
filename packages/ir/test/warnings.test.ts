// warnOnce / setWarningHandler. Oracle: Python's warnings module's default "once per message".
import { expect, test } from "vitest";
import { setWarningHandler, warnOnce } from "../src/index.js";

test("each distinct message reaches the handler once; a new handler starts afresh", () => {
  const got: string[] = [];
  const previous = setWarningHandler((m) => got.push(m));
  try {
    warnOnce("a");
    warnOnce("b");
    warnOnce("a");
    expect(got).toEqual(["a", "b"]);
    setWarningHandler((m) => got.push(`again ${m}`));
    warnOnce("a");
    expect(got).toEqual(["a", "b", "again a"]);
  } finally {
    setWarningHandler(previous);
  }
});
