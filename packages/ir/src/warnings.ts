/**
 * A warning: something that runs but is probably not what the user meant (a loss that broadcasts
 * its operands, a tensor captured by a compiled function). Like Python's `warnings`, each distinct
 * message is reported once per process, through a handler the user may replace.
 */
export type WarningHandler = (message: string) => void;

let handler: WarningHandler = (message) => console.warn(`aotjs warning: ${message}`);
const seen = new Set<string>();

/** Report `message` once (later identical messages are dropped). */
export function warnOnce(message: string): void {
  if (seen.has(message)) return;
  seen.add(message);
  handler(message);
}

/**
 * Route warnings to `h` (to log, collect or turn them into errors); returns the previous handler.
 * Also forgets which messages were reported, so a test sees each again.
 */
export function setWarningHandler(h: WarningHandler): WarningHandler {
  const previous = handler;
  handler = h;
  seen.clear();
  return previous;
}
