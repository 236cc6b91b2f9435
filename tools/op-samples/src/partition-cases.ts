// The partitioner's reference cases (issue #6), each with what our partitions save and what
// PyTorch 1.13 saves for the same function (worked out by hand from functorch/_src/partitioners.py
// of 1.13 on the aten joint graph; see packages/partitioner/README.md). Shared by the partitioner
// tests and the `partition` benchmark.
import type { TensorMeta } from "@aotjs/ir";
import type { Tensor } from "@aotjs/tensor";

export const MiB = 2 ** 20;
const f32 = (...shape: number[]): TensorMeta => ({ shape, dtype: "float32" });
const N = 1024;

export interface PartitionCase {
  readonly name: string;
  readonly fn: (...xs: Tensor[]) => Tensor;
  readonly inputs: readonly TensorMeta[];
  /** What our default partition saves: what PyTorch's `default_partition` saves on this joint graph. */
  readonly defaultSaved: readonly string[];
  /** What our min-cut saves. */
  readonly minCutSaved: readonly string[];
  /** PyTorch 1.13's min-cut on the aten graph of the same function: what it saves and its bytes. */
  readonly torch113: { readonly saves: string; readonly bytes: number };
}

export const partitionCases: readonly PartitionCase[] = [
  {
    name: "cos(cos(cos(x)))",
    fn: (x) => x.cos().cos().cos(),
    inputs: [f32(N, N)],
    defaultSaved: ["primals_1", "cos", "cos_1"],
    minCutSaved: ["primals_1"],
    torch113: { saves: "primals_1", bytes: 4 * MiB },
  },
  {
    name: "cos(cos(a+b+c+d))",
    fn: (a, b, c, d) => a.add(b).add(c).add(d).cos().cos(),
    inputs: [f32(N, N), f32(N, N), f32(N, N), f32(N, N)],
    defaultSaved: ["add_2", "cos"],
    minCutSaved: ["add_2"],
    torch113: { saves: "add_2", bytes: 4 * MiB },
  },
  {
    name: "(a*b).sin().cos().exp()",
    fn: (a, b) => a.mul(b).sin().cos().exp(),
    inputs: [f32(2 ** 20), f32(2 ** 20)],
    defaultSaved: ["primals_1", "primals_2", "mul", "sin", "exp"],
    minCutSaved: ["primals_1", "primals_2"],
    torch113: { saves: "primals_1, primals_2", bytes: 8 * MiB },
  },
  {
    name: "tanh-gelu",
    fn: (x) =>
      x.mul(0.5).mul(
        x
          .add(x.pow(3).mul(0.044715))
          .mul(Math.sqrt(2 / Math.PI))
          .tanh()
          .add(1),
      ),
    inputs: [f32(2 ** 20)],
    defaultSaved: ["primals_1", "mul", "tanh", "add_1"],
    minCutSaved: ["primals_1"],
    torch113: { saves: "primals_1", bytes: 4 * MiB },
  },
  {
    name: "relu(a+b)+r",
    fn: (a, b, r) => a.add(b).relu().add(r),
    inputs: [f32(N, N), f32(N, N), f32(N, N)],
    defaultSaved: ["relu"],
    minCutSaved: ["gt"],
    // threshold_backward reads relu's f32 output, which 1.13 saves; so does our relu rule.
    torch113: { saves: "relu (f32)", bytes: 4 * MiB },
  },
  {
    name: "layernorm",
    fn: (x, w, b) => {
      const mean = x.mean({ dim: -1, keepdim: true });
      const xc = x.sub(mean);
      const variance = xc.mul(xc).mean({ dim: -1, keepdim: true });
      return xc.div(variance.add(1e-5).sqrt()).mul(w).add(b);
    },
    inputs: [f32(N, N), f32(N), f32(N)],
    defaultSaved: ["primals_2", "sub", "sqrt", "div"],
    minCutSaved: ["primals_1", "primals_2", "mean", "sqrt"],
    // Both means are banned from recompute (output 4x smaller than input); sqrt is the cheapest
    // of mean_1 -> add -> sqrt to keep.
    torch113: { saves: "primals_1, primals_2, mean, sqrt", bytes: 4 * MiB + 3 * 4 * N },
  },
];
