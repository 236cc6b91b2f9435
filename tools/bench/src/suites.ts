import { kernels } from "./kernels.js";
import { partition } from "./partition.js";

// Every benchmark suite, by name. Each suite prints its own table.
export const suites: Record<string, () => Promise<void>> = {
  kernels,
  partition,
};
