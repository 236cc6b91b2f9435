import { aot } from "./aot.js";
import { kernels } from "./kernels.js";
import { malloc } from "./malloc.js";
import { onnx } from "./onnx.js";
import { partition } from "./partition.js";
import { sessions } from "./sessions.js";
import { symbolic } from "./symbolic.js";
import { tfjs } from "./tfjs.js";
import { train } from "./train.js";
import { web } from "./web.js";

// Every benchmark suite, by name. Each suite prints its own table.
export const suites: Record<string, () => Promise<void>> = {
  aot,
  kernels,
  malloc,
  onnx,
  partition,
  sessions,
  symbolic,
  tfjs,
  train,
  web,
};
