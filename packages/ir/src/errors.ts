/** Every error the IR raises. `path` locates the problem in a JSON document when there is one. */
export class IRError extends Error {
  override name = "IRError";
  constructor(
    message: string,
    readonly path?: string,
  ) {
    super(path === undefined ? message : `${path}: ${message}`);
  }
}

/** Thrown by a shape rule; the builder adds the op, node name and input metas. */
export class ShapeError extends IRError {
  override name = "ShapeError";
}
