/**
 * The base of every error aotjs raises: each package has its own subclass (`IRError`,
 * `TensorError`, `AutogradError`, `OnnxBackendError`, ...), and `instanceof AotjsError` catches
 * them all. An error that wraps another keeps it as `cause`.
 */
export class AotjsError extends Error {
  override name = "AotjsError";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** Every error the IR raises. `path` locates the problem in a JSON document when there is one. */
export class IRError extends AotjsError {
  override name = "IRError";
  constructor(
    message: string,
    readonly path?: string,
    options?: ErrorOptions,
  ) {
    super(path === undefined ? message : `${path}: ${message}`, options);
  }
}

/** Thrown by a shape rule; the builder adds the op, node name and input metas. */
export class ShapeError extends IRError {
  override name = "ShapeError";
}

/** The message of anything thrown: an Error's message, or the value itself as text. */
export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));
