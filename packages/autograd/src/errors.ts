import { AotjsError } from "@aotjs/ir";

/** Every error `@aotjs/autograd` raises: the tape, the rules, joint graphs, decompositions, gradcheck. */
export class AutogradError extends AotjsError {
  override name = "AutogradError";
}
