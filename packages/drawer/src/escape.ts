// Everything that comes from a graph (value names, graph names, attribute values) reaches DOT
// and SVG only through these functions. Node ids in the DOT text are synthetic (`v12`), so a name
// never becomes DOT syntax; it only ever appears inside an HTML label or a quoted string.

/**
 * Characters XML 1.0 forbids (C0 controls but tab/newline/CR, U+FFFE/U+FFFF, lone surrogates)
 * and DEL/C1 controls, which are legal but invisible. Graphviz parses HTML labels with expat, which
 * rejects the forbidden ones (the label would silently fall back to the node id), and copies the
 * rest into the SVG, where they would make the file malformed. We show them as `\u{..}` instead.
 * Tab, newline and CR count too: in a one-line label they are invisible or break the layout.
 */
const unsafe = (c: number): boolean => c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0xfffe || c === 0xffff;
const isHigh = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;

/** Make a string printable: control and non-XML characters become visible `\u{hex}` escapes. */
export function printable(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isHigh(c) && i + 1 < text.length && isLow(text.charCodeAt(i + 1))) {
      out += text.slice(i, i + 2); // a well-formed surrogate pair: one astral character
      i++;
    } else if (unsafe(c) || isHigh(c) || isLow(c)) out += `\\u{${c.toString(16)}}`;
    else out += text[i];
  }
  return out;
}

/**
 * Shorten to at most `max` code points, keeping the start and the end (`layer4_1_conv…_weight`):
 * generated names differ at both ends. Counting code points keeps surrogate pairs whole.
 */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max || max < 5) return text;
  const tail = Math.floor((max - 1) / 3);
  return `${chars.slice(0, max - 1 - tail).join("")}…${chars.slice(chars.length - tail).join("")}`;
}

/**
 * Text for a Graphviz HTML-like label (`label=<...>`). Escaping `<` and `>` keeps the DOT lexer's
 * bracket counting intact, so nothing can close the label early; `&` and `"` are escaped so an
 * entity or attribute quote in a name stays text. Graphviz decodes the entities, then expands
 * `\N` (node id), `\G` (graph name), ... and turns `\\` into `\`: doubling each backslash keeps a
 * name's backslashes as written. Graphviz re-escapes the text when it writes SVG.
 */
export function html(text: string): string {
  return entities(printable(text).replace(/\\/g, "\\\\"));
}

/** The five XML specials as entities. */
const entities = (text: string): string =>
  text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");

/**
 * Text or an attribute value for SVG the drawer writes itself (not through Graphviz): printable,
 * with the five XML specials as entities. Backslashes stay as they are; no Graphviz reads it.
 */
export function xml(text: string): string {
  return entities(printable(text));
}

/**
 * A DOT double-quoted string. The DOT lexer only treats `\"` specially; Graphviz later expands
 * `\N`, `\G`, ... and `\\`, so each backslash is doubled to stay a backslash. A newline becomes
 * `\n`, Graphviz's line break, rather than a raw line break in the DOT text.
 */
export function quote(text: string): string {
  const lines = text
    .split(/\r\n?|\n/)
    .map((line) => printable(line).replace(/\\/g, "\\\\").replace(/"/g, '\\"'));
  return `"${lines.join("\\n")}"`;
}

/**
 * A tooltip as a DOT string. Graphviz unescapes tooltips twice: the `\N`-expansion every string
 * gets, then a pass that turns `\n` into a line break and drops the backslash of any other escape.
 * So backslashes are doubled once here and once more by `quote`; newlines are left to `quote`.
 */
export const tooltip = (text: string): string =>
  quote(
    text
      .split(/\r\n?|\n/)
      .map((line) => printable(line).replace(/\\/g, "\\\\"))
      .join("\n"),
  );
