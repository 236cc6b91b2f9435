// Everything that comes from a graph (value names, graph names, attribute values) reaches DOT
// and SVG only through these functions. Node ids in the DOT text are synthetic (`v12`), so a name
// never becomes DOT syntax; it only ever appears inside an HTML label or a quoted string.

/**
 * Characters XML 1.0 forbids (C0 controls but tab/newline/CR, U+FFFE/U+FFFF, lone surrogates)
 * and DEL/C1 controls, which are legal but invisible. Graphviz parses HTML labels with expat, which
 * rejects the forbidden ones (the label would silently fall back to the node id), and copies the
 * rest into the SVG, where they would make the file malformed. We show them as `\u{..}` instead.
 */
const UNSAFE =
  /[\u0000-\u001f\u007f-\u009f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Make a string printable: control and non-XML characters become visible `\u{hex}` escapes. */
export function printable(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`);
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
 * entity or attribute quote in a name stays text. Graphviz decodes the entities and re-escapes the
 * text when it writes SVG.
 */
export function html(text: string): string {
  return printable(text)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/**
 * A DOT double-quoted string. The DOT lexer only treats `\"` specially; Graphviz later expands
 * `\N`, `\G`, `\n`, ... in labels and tooltips, so a backslash is doubled to stay a backslash.
 * Newlines become `\n` (a line break in a tooltip) rather than raw line breaks in the DOT text.
 */
export function quote(text: string): string {
  const lines = text.split(/\r\n?|\n/).map((line) => printable(line).replace(/\\/g, "\\\\").replace(/"/g, '\\"'));
  return `"${lines.join("\\n")}"`;
}
