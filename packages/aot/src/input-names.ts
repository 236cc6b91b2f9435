import { AotError } from "./executable.js";

/**
 * Names of a compiled function's flattened tensor inputs, the same in `aotFunction`,
 * `aotModule` and `aotExport`: a list (entry i names input i), or a function of the input count
 * (for when the count depends on the call, e.g. a pytree argument). Entries past the end of
 * either keep the default name. For a module only the user inputs are named this way; its
 * parameters and buffers keep their state-dict names.
 */
export type InputNames = readonly string[] | ((count: number) => readonly string[]);

/** `count` names: the given ones first, defaults for the rest; more names than inputs is an error. */
export function resolveInputNames(
  names: InputNames | undefined,
  count: number,
  fallback: (index: number) => string,
  who: string,
): string[] {
  const given = typeof names === "function" ? names(count) : (names ?? []);
  if (given.length > count) {
    throw new AotError(`${who}: ${given.length} input names (${given.join(", ")}) for ${count} inputs`);
  }
  return Array.from({ length: count }, (_, i) => given[i] ?? fallback(i));
}
