import {
  AotjsError,
  bindSymbols,
  type Compiler,
  type Executable,
  formatMeta,
  Graph,
  isExecutable,
  messageOf,
  outputMetasAt,
  sameMeta,
  specialize,
  type TensorData,
  type TensorMeta,
} from "@aotjs/ir";
import { Interpreter } from "@aotjs/tensor";

/** Every error `@aotjs/aot` raises: compile, cache, the runtime around compiled graphs, export. */
export class AotError extends AotjsError {
  override name = "AotError";
}

/** A graph a compiler handed back runs on the reference interpreter. */
class InterpretedGraph implements Executable {
  readonly #interpreter: Interpreter;
  constructor(graph: Graph) {
    this.#interpreter = new Interpreter(graph);
  }
  run(inputs: readonly TensorData[]): TensorData[] {
    return this.#interpreter.run(inputs);
  }
}

/**
 * A symbolic graph on a compiler whose executables take one size only: the executable compiled at
 * the hints serves calls at the hints, and each other binding of the symbols compiles the graph
 * specialized to it, once. Correct on any compiler; one compile per size on the backend's side.
 */
class PerSizeExecutable implements Executable {
  readonly symbolic = true;
  readonly #bySize = new Map<string, Promise<Executable>>();
  constructor(
    readonly graph: Graph,
    readonly compiler: Compiler,
    readonly role: string,
    atHints: Executable,
  ) {
    this.#bySize.set(this.#key(hintsOf(graph)), Promise.resolve(atHints));
  }
  #key(bindings: ReadonlyMap<string, number>): string {
    return [...bindings].map(([k, v]) => `${k}=${v}`).join(",");
  }
  async run(inputs: readonly TensorData[]): Promise<TensorData[]> {
    const bindings = bindSymbols(
      this.graph,
      inputs.map((t) => t.shape),
    );
    const key = this.#key(bindings);
    let exe = this.#bySize.get(key);
    if (!exe) {
      exe = compileOnce(this.compiler, specialize(this.graph, bindings), this.role);
      this.#bySize.set(key, exe);
      exe.catch(() => this.#bySize.delete(key));
    }
    return (await exe).run(inputs);
  }
  async dispose(): Promise<void> {
    const all = [...this.#bySize.values()];
    this.#bySize.clear();
    const settled = await Promise.allSettled(all);
    await Promise.all(settled.map((r) => (r.status === "fulfilled" ? r.value.dispose?.() : undefined)));
  }
}

const hintsOf = (graph: Graph): Map<string, number> =>
  new Map((graph.symbolic?.symbols ?? []).map((s) => [s.name, s.hint]));

async function compileOnce(compiler: Compiler, graph: Graph, role: string): Promise<Executable> {
  let result: unknown;
  try {
    result = await compiler(graph, graph.inputMetas);
  } catch (e) {
    throw new AotError(`the ${role} compiler failed on graph '${graph.name}': ${messageOf(e)}`, { cause: e });
  }
  if (result instanceof Graph) return new InterpretedGraph(result);
  if (isExecutable(result)) return result;
  throw new AotError(
    `the ${role} compiler returned ${typeof result}; a compiler returns an Executable or a Graph`,
  );
}

/**
 * Compile one graph, turning a returned Graph into an interpreter (which runs symbolic graphs at
 * any size). A symbolic graph whose executable is not `symbolic` is compiled per size.
 */
export async function compileGraph(compiler: Compiler, graph: Graph, role: string): Promise<Executable> {
  const exe = await compileOnce(compiler, graph, role);
  if (!graph.symbolic || exe instanceof InterpretedGraph || exe.symbolic) return exe;
  return new PerSizeExecutable(graph, compiler, role, exe);
}

/** Run an executable and check that it returned one TensorData per graph output, of the right meta. */
export async function runExecutable(
  exe: Executable,
  graph: Graph,
  inputs: readonly TensorData[],
): Promise<TensorData[]> {
  // A symbolic graph's outputs have the sizes of this call's symbols; binding checks the guards first.
  let expected: readonly TensorMeta[] = graph.outputs.map((v) => v.meta);
  if (graph.symbolic) {
    try {
      expected = outputMetasAt(
        graph,
        inputs.map((t) => t.shape),
      );
    } catch (e) {
      throw new AotError(`compiled '${graph.name}': ${messageOf(e)}`, { cause: e });
    }
  }
  const outputs = await exe.run(inputs);
  if (!Array.isArray(outputs) || outputs.length !== graph.outputs.length) {
    throw new AotError(
      `compiled '${graph.name}' returned ${Array.isArray(outputs) ? outputs.length : typeof outputs} outputs, expected ${graph.outputs.length}`,
    );
  }
  graph.outputs.forEach((v, i) => {
    const o = outputs[i]!;
    if (!sameMeta(o, expected[i]!)) {
      throw new AotError(
        `compiled '${graph.name}' output ${i} ('${v.name}') is ${formatMeta(o)}, the graph says ${formatMeta(expected[i]!)}`,
      );
    }
  });
  return outputs;
}
