import { allocate, type Compiler, type DType, type Graph, TensorData, type TypedArray } from "@aotjs/ir";
import { type Module, Optimizer, type UpdateScalars, type UpdateStructure } from "@aotjs/nn";
import { noGrad, Tensor } from "@aotjs/tensor";
import { flatten } from "@aotjs/tracer";
import { type AotFunction, aotFunction } from "./aot-function.js";
import { inputNameOf } from "./aot-module.js";
import { nop } from "./compilers.js";
import { AotError } from "./executable.js";
import { type ModelArgs, modelArgs, traceTrainStep } from "./train-step.js";

/** Options of `aotOptimizer`: the compiler of the step graph and the multi-tensor threshold. */
export interface AotOptimizerOptions {
  /** Compiles the step's graph. Default `nop`: the reference interpreter. */
  readonly compiler?: Compiler;
  /**
   * Parameters with fewer elements than this are concatenated, per parameter group, dtype and
   * state layout, and updated as one vector (multi-tensor apply): a few nodes over one long
   * vector instead of a chain of tiny nodes per parameter. Larger ones keep their own chain,
   * which reads and writes them without the copy that concatenating costs. Only for optimizers
   * whose rule is `elementwise` (SGD, Adam, AdamW). Default 65536; 0 turns it off, Infinity
   * concatenates everything.
   */
  readonly flattenBelow?: number;
}

/** Counters of a compiled optimizer: steps run, compiles, cache hits and size. */
export interface AotOptimizerStats {
  /** Compiled steps run (steps with no gradient at all do nothing and are not counted). */
  readonly steps: number;
  readonly compiles: number;
  readonly cacheHits: number;
  readonly cacheSize: number;
}

/** What `aotOptimizer` returns: the wrapped optimizer's step compiled into one graph. */
export interface AotOptimizer {
  /**
   * One optimizer step, compiled: updates every parameter that has a grad, and the optimizer's
   * state, exactly as `optimizer.step()` would. Grads are read when it is called; steps run in
   * call order. Await it before reading parameters or running an eager `optimizer.step()`.
   */
  step(): Promise<void>;
  /**
   * A whole training step as ONE compiled graph: `module.forward(...inputs)`, which must return a
   * 0-d loss, its backward, and this optimizer's update of every parameter of the module it holds
   * that requires grad (each must reach the loss). Parameters, buffers and the optimizer's state
   * end as after `loss.backward()` and `step()`; `.grad` is neither read nor written (there is
   * no gradient to clip or accumulate: use `forwardBackward` and `step()` for that). Resolves to
   * the loss, with no grad_fn. Steps run in call order with `step()`.
   */
  trainStep<M extends Module>(module: M, ...inputs: Parameters<M["forward"]>): Promise<Tensor>;
  /** `optimizer.zeroGrad(setToNone)`. */
  zeroGrad(setToNone?: boolean): void;
  /** The step counters so far. */
  stats(): AotOptimizerStats;
  /** The graph the most recent step compiled (for inspection and tests). */
  readonly lastGraph: Graph | undefined;
  /** Frees the compiled executables (ONNX sessions, ...); a later step compiles again. */
  dispose(): Promise<void>;
}

/** A parameter a step updates, and its group; `step()` brings the grad, `trainStep` computes it. */
interface ToUpdate {
  readonly group: number;
  readonly param: Tensor;
  readonly grad?: Tensor;
}

/** One parameter in a compiled step. */
interface Member {
  readonly param: Tensor;
  /** Absent in `trainStep`, where the graph computes it. */
  readonly grad?: Tensor;
  readonly state: Record<string, unknown>;
  /** The state's tensor entries when the step starts, in the graph's input order. */
  readonly stateKeys: readonly string[];
}

/** Parameters one application of the rule updates: one parameter, or several concatenated. */
interface Bucket {
  readonly members: Member[];
  /** Index of the hyper-parameters (group, dtype, this step's scalar values) it uses. */
  readonly scalars: number;
  /** Concatenated (more than one member); otherwise the member's own tensors are the graph's inputs. */
  readonly flat: boolean;
}

interface ScalarClass {
  readonly dtype: DType;
  readonly structure: UpdateStructure;
  readonly values: UpdateScalars<number>;
}

/** What the traced step takes: flattened (or single) parameters, and 0-d hyper-parameters. */
interface StepArgs {
  readonly buckets: readonly {
    readonly param: Tensor;
    readonly grad?: Tensor;
    readonly state: Readonly<Record<string, Tensor>>;
    readonly scalars: number;
  }[];
  readonly scalars: readonly {
    readonly structure: UpdateStructure;
    readonly values: UpdateScalars<Tensor>;
  }[];
  /** `trainStep`: the module's other state, where each bucket's members sit in it, its inputs. */
  readonly model?: ModelArgs;
}

/** State tensors a bucket's update created or replaced (not those it changed in place). */
type Created = Record<string, Tensor>;

/**
 * Concatenated vectors stay well under glibc's 32 MiB mmap threshold: a larger buffer is mapped
 * fresh on every step, and first-touching 47 MiB of new pages measured ~100 ms here, more than
 * the update itself.
 */
const MAX_FLAT_NUMEL = 1 << 20;

/** `trainStep`'s call: the module, its forward's arguments, and its `namedParameters()`. */
interface TrainCall {
  readonly module: Module;
  readonly inputs: readonly unknown[];
  readonly named: readonly [string, Tensor][];
}

const scalarTensor = (value: number, dtype: DType): Tensor => {
  const data = allocate(dtype, 1);
  data[0] = value as never;
  return new Tensor(new TensorData(dtype, [], data));
};

type TypedArrayCtor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => TypedArray;

/**
 * The tensors' values as one vector. When they already are consecutive views of one buffer (as a
 * previous compiled step leaves its parameters and state), that buffer is reused without a copy.
 */
function concat(
  tensors: readonly Tensor[],
  dtype: DType,
  spare?: (length: number) => TypedArray | undefined,
): TensorData {
  const arrays = tensors.map((t) => t.data());
  const first = arrays[0]!;
  let contiguous = true;
  let length = 0;
  for (const a of arrays) {
    if (a.buffer !== first.buffer || a.byteOffset !== first.byteOffset + length * first.BYTES_PER_ELEMENT) {
      contiguous = false;
    }
    length += a.length;
  }
  if (contiguous) {
    const Ctor = first.constructor as TypedArrayCtor;
    return new TensorData(dtype, [length], new Ctor(first.buffer, first.byteOffset, length) as never);
  }
  const out = spare?.(length) ?? allocate(dtype, length);
  let offset = 0;
  for (const a of arrays) {
    (out as Float64Array).set(a as Float64Array, offset);
    offset += a.length;
  }
  return new TensorData(dtype, [length], out);
}

/** Views of a concatenated vector, one per member, shaped like `shapes` (no copy). */
function split(flat: TensorData, shapes: readonly (readonly number[])[]): Tensor[] {
  let offset = 0;
  return shapes.map((shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const view = flat.data.subarray(offset, offset + n);
    offset += n;
    return new Tensor(new TensorData(flat.dtype, shape, view as never));
  });
}

/**
 * PyTorch 2's compiled optimizer step: `optimizer.step()` as ONE compiled graph over every
 * parameter that has a grad, on the compiler you pick. The optimizer stays the source of truth:
 * its `paramGroups` are read at every step (a new `lr` is a new input value, not a recompile:
 * hyper-parameters and Adam's bias corrections are 0-d graph inputs), and its `state` ends up
 * exactly as an eager step leaves it, so compiled and eager steps can be mixed freely. The graph
 * is traced from the optimizer's own update rule and cached on the step's signature: which
 * parameters have grads, their shapes and dtypes, the state that exists, the groups' structure
 * (boolean options, which hyper-parameters are 0).
 */
export function aotOptimizer<O extends object>(
  optimizer: Optimizer<O>,
  options: AotOptimizerOptions = {},
): AotOptimizer {
  if (!(optimizer instanceof Optimizer)) {
    const what = optimizer === null ? "null" : ((optimizer as object)?.constructor?.name ?? typeof optimizer);
    throw new AotError(`aotOptimizer: expected an Optimizer from @aotjs/nn (SGD, Adam, ...), got ${what}`);
  }
  const flattenBelow = options.flattenBelow ?? 65536;
  if (!(flattenBelow >= 0)) {
    throw new AotError(`aotOptimizer: flattenBelow must be a number >= 0, got ${options.flattenBelow}`);
  }
  let inputNames: readonly string[] = [];
  /**
   * The last step's flat gradient vectors, by dtype and length, written over by the next step:
   * gradients arrive as separate arrays every step, and a fresh 0.4 MB vector per step (gptMini)
   * cost more to allocate (page faults, garbage collection) than to fill.
   */
  let spareGrads = new Map<string, TypedArray[]>();
  const spareKey = (dtype: DType, length: number) => `${dtype}:${length}`;

  /** The rule on bucket `i` with gradient `grad`: the state tensors it created or replaced. */
  const applyRule = (args: StepArgs, i: number, grad: Tensor): Created => {
    const b = args.buckets[i]!;
    const { structure, values } = args.scalars[b.scalars]!;
    const state: Record<string, unknown> = { ...b.state };
    optimizer.update(b.param, grad, state, structure, values);
    const created: Created = {};
    for (const [k, v] of Object.entries(state)) if (v instanceof Tensor && v !== b.state[k]) created[k] = v;
    return created;
  };
  const compileOptions = {
    fwCompiler: options.compiler ?? nop,
    inputNames: (count: number) => {
      if (count !== inputNames.length) {
        throw new AotError(`aotOptimizer: ${count} graph inputs but ${inputNames.length} names (internal)`);
      }
      return inputNames;
    },
  };
  const compiled = aotFunction(
    (args: StepArgs): Created[] => args.buckets.map((b, i) => applyRule(args, i, b.grad!)),
    compileOptions,
  );
  /** Per module, `trainStep`'s compiled function: the forward is the module's own code. */
  const trainSteps = new Map<Module, AotFunction<[StepArgs], { loss: Tensor; created: Created[] }>>();
  const trainStepOf = (module: Module) => {
    let fn = trainSteps.get(module);
    if (!fn) {
      fn = aotFunction(
        (args: StepArgs) =>
          traceTrainStep(
            module,
            args.buckets.map((b) => b.param),
            args.model!,
            (i, grad) => applyRule(args, i, grad),
          ),
        { ...compileOptions, cacheKey: () => (module.training ? "train" : "eval") },
      );
      trainSteps.set(module, fn);
    }
    return fn;
  };
  let last: AotFunction<never, unknown> | undefined;
  let steps = 0;
  let tail: Promise<void> = Promise.resolve();
  /** Runs `work` after every step called before it, failed or not (steps run in call order). */
  const inTurn = <T>(work: () => Promise<T>): Promise<T> => {
    const result = tail.then(work);
    tail = result.then(
      () => {},
      () => {},
    );
    return result;
  };

  /** Group the parameters into buckets and hyper-parameter classes; advances plain-number state. */
  function plan(todo: readonly ToUpdate[]): { buckets: Bucket[]; classes: ScalarClass[] } {
    const classes: ScalarClass[] = [];
    const classIndex = new Map<string, number>();
    const buckets: Bucket[] = [];
    const flatIndex = new Map<string, { bucket: number; numel: number }>();
    for (const { group, param, grad } of todo) {
      const groupOptions = optimizer.paramGroups[group]!;
      const state = optimizer.state.get(param) ?? {};
      optimizer.state.set(param, state);
      // The first step then traces the steady graph: one compile, not one for step 1 and another after.
      optimizer.initialState(param, state, groupOptions);
      const stateKeys = Object.keys(state).filter((k) => state[k] instanceof Tensor);
      const values = optimizer.advance(state, groupOptions);
      const classKey = `${group}|${param.dtype}|${JSON.stringify(values)}`;
      let cls = classIndex.get(classKey);
      if (cls === undefined) {
        cls = classes.length;
        classIndex.set(classKey, cls);
        classes.push({ dtype: param.dtype, structure: optimizer.structure(groupOptions), values });
      }
      const member: Member = { param, grad, state, stateKeys };
      const flattenable =
        optimizer.elementwise &&
        param.numel() < flattenBelow &&
        stateKeys.every((k) => {
          const t = state[k] as Tensor;
          return t.dtype === param.dtype && t.shape.join() === param.shape.join();
        });
      if (!flattenable) {
        buckets.push({ members: [member], scalars: cls, flat: false });
        continue;
      }
      const key = `${cls}|${stateKeys.join(",")}`;
      const open = flatIndex.get(key);
      if (open === undefined || open.numel + param.numel() > MAX_FLAT_NUMEL) {
        flatIndex.set(key, { bucket: buckets.length, numel: param.numel() });
        buckets.push({ members: [member], scalars: cls, flat: true });
      } else {
        buckets[open.bucket]!.members.push(member);
        open.numel += param.numel();
      }
    }
    // A bucket that found no partner is passed as it is: nothing to concatenate.
    return { buckets: buckets.map((b) => (b.members.length === 1 ? { ...b, flat: false } : b)), classes };
  }

  /** The traced function's arguments, and the graph's input names in the same (flatten) order. */
  function argsOf(buckets: readonly Bucket[], classes: readonly ScalarClass[], train?: TrainCall): StepArgs {
    const names: string[] = [];
    const taken = new Set<string>();
    const name = (base: string) => {
      let n = base.replace(/[^A-Za-z0-9_]/g, "_").replace(/^(?=[0-9])/, "_");
      while (taken.has(n)) n = `${n}_`;
      taken.add(n);
      names.push(n);
    };
    const args: StepArgs = {
      buckets: buckets.map((b, i) => {
        const ms = b.members;
        const dtype = ms[0]!.param.dtype;
        const pick = (
          get: (m: Member) => Tensor,
          spare?: (length: number) => TypedArray | undefined,
        ): Tensor => (b.flat ? new Tensor(concat(ms.map(get), dtype, spare)) : get(ms[0]!));
        const param = pick((m) => m.param);
        name(`param_${i}`);
        const grad = train
          ? undefined
          : pick(
              (m) => m.grad!,
              (length) => spareGrads.get(spareKey(dtype, length))?.pop(),
            );
        if (grad) name(`grad_${i}`);
        const state: Record<string, Tensor> = {};
        for (const k of ms[0]!.stateKeys) {
          state[k] = pick((m) => m.state[k] as Tensor);
          name(`${k}_${i}`);
        }
        return { param, ...(grad ? { grad } : {}), state, scalars: b.scalars };
      }),
      scalars: classes.map((c, i) => {
        const values: Record<string, Tensor> = {};
        for (const [k, v] of Object.entries(c.values)) {
          values[k] = scalarTensor(v, c.dtype);
          name(`${k}_${i}`);
        }
        return { structure: c.structure, values };
      }),
      ...(train
        ? {
            model: modelArgs(
              train.module,
              train.named,
              buckets.map((b) => b.members.map((m) => m.param)),
              train.inputs,
            ),
          }
        : {}),
    };
    if (args.model) {
      for (const path of Object.keys(args.model.fixed)) name(inputNameOf(path));
      flatten(train!.inputs).leaves.forEach((_, k) => {
        name(`input_${k + 1}`);
      });
    }
    inputNames = names;
    return args;
  }

  /** Concatenated buckets: hand each member its slice of the new values (single ones are written already). */
  function writeBack(
    buckets: readonly Bucket[],
    args: StepArgs,
    before: readonly TensorData[][],
    outs: Created[],
  ) {
    buckets.forEach((b, i) => {
      const a = args.buckets[i]!;
      const ms = b.members;
      if (!b.flat) {
        for (const [k, t] of Object.entries(outs[i]!)) ms[0]!.state[k] = t;
        return;
      }
      const shapes = ms.map((m) => m.param.shape);
      const inPlace: [Tensor, (m: Member) => Tensor][] = [
        [a.param, (m) => m.param],
        ...ms[0]!.stateKeys.map((k): [Tensor, (m: Member) => Tensor] => [
          a.state[k]!,
          (m) => m.state[k] as Tensor,
        ]),
      ];
      inPlace.forEach(([updated, target], j) => {
        if (updated.toData() === before[i]![j]) return;
        split(updated.toData(), shapes).forEach((view, mi) => {
          target(ms[mi]!).copy_(view);
        });
      });
      for (const [k, t] of Object.entries(outs[i]!)) {
        split(t.toData(), shapes).forEach((view, mi) => {
          ms[mi]!.state[k] = view;
        });
      }
    });
  }

  /**
   * The flat gradient vectors this step allocated and nothing kept: not the members' own grads
   * (already contiguous, so not copied), and no parameter or state took the vector or a view of it.
   */
  function reusableGrads(buckets: readonly Bucket[], args: StepArgs, outs: readonly Created[]) {
    const kept = new Set<ArrayBufferLike>();
    args.buckets.forEach((a, i) => {
      const members = buckets[i]!.members.map((m) => m.grad!);
      for (const t of [...members, a.param, ...Object.values(a.state), ...Object.values(outs[i]!)])
        kept.add(t.data().buffer);
    });
    const spare = new Map<string, TypedArray[]>();
    args.buckets.forEach((a, i) => {
      const g = a.grad!.data();
      if (!buckets[i]!.flat || kept.has(g.buffer)) return;
      const key = spareKey(a.grad!.dtype, g.length);
      spare.set(key, [...(spare.get(key) ?? []), g]);
    });
    return spare;
  }

  /** One step; `train` makes it a whole training step, whose loss it returns. */
  async function run(todo: readonly ToUpdate[], train?: TrainCall): Promise<Tensor | undefined> {
    if (todo.length === 0) return undefined;
    // Plain-number state (Adam's step) advances while planning, as in eager; undo it on failure.
    const previous = new Map<Tensor, Record<string, unknown> | undefined>();
    for (const { param } of todo) {
      const s = optimizer.state.get(param);
      previous.set(param, s && { ...s });
    }
    try {
      const { buckets, classes } = plan(todo);
      const args = argsOf(buckets, classes, train);
      const before = args.buckets.map((a) => [a.param, ...Object.values(a.state)].map((t) => t.toData()));
      const fn = train ? trainStepOf(train.module) : compiled;
      last = fn as AotFunction<never, unknown>;
      // Grad mode is off only while the call picks its graph: noGrad over the promise itself
      // would keep it off for whatever else runs until the step finishes.
      const { pending } = noGrad(() => ({ pending: fn(args) }));
      const result = await pending;
      const outs = Array.isArray(result) ? result : result.created;
      noGrad(() => writeBack(buckets, args, before, outs));
      if (!train) spareGrads = reusableGrads(buckets, args, outs);
      steps++;
      return Array.isArray(result) ? undefined : result.loss;
    } catch (e) {
      for (const [param, saved] of previous) {
        if (!saved) {
          optimizer.state.delete(param);
          continue;
        }
        const s = optimizer.state.get(param)!;
        for (const k of Object.keys(s)) if (!(k in saved)) delete s[k];
        Object.assign(s, saved);
      }
      throw e;
    }
  }

  return {
    step(): Promise<void> {
      let todo: ToUpdate[];
      try {
        todo = optimizer.paramsWithGrad();
      } catch (e) {
        return Promise.reject(e);
      }
      return inTurn(() => run(todo)).then(() => {});
    },
    trainStep<M extends Module>(module: M, ...inputs: Parameters<M["forward"]>): Promise<Tensor> {
      // The parameters the graph updates: the optimizer's that the module holds and that require
      // grad (those that would get a grad from backward).
      // One walk of the module per step: the names go on to the step's arguments.
      const named = module.namedParameters();
      const held = new Set(named.map(([, p]) => p));
      const todo: ToUpdate[] = [];
      optimizer.paramGroups.forEach((g, group) => {
        for (const param of g.params) if (held.has(param) && param.requiresGrad) todo.push({ group, param });
      });
      if (todo.length === 0) {
        return Promise.reject(
          new AotError(
            `trainStep: no parameter of the optimizer is a parameter of ${module.constructor.name} that requires grad`,
          ),
        );
      }
      return inTurn(() => run(todo, { module, inputs, named })).then((loss) => loss!);
    },
    zeroGrad(setToNone = true): void {
      optimizer.zeroGrad(setToNone);
    },
    stats(): AotOptimizerStats {
      const all = [compiled, ...trainSteps.values()].map((f) => f.stats());
      const sum = (k: "compiles" | "cacheHits" | "cacheSize") => all.reduce((a, s) => a + s[k], 0);
      return { steps, compiles: sum("compiles"), cacheHits: sum("cacheHits"), cacheSize: sum("cacheSize") };
    },
    get lastGraph(): Graph | undefined {
      return (last ?? compiled).lastGraphs.inference;
    },
    async dispose(): Promise<void> {
      await tail;
      await Promise.all([compiled, ...trainSteps.values()].map((f) => f.dispose()));
      trainSteps.clear();
    },
  };
}
