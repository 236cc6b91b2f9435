// Test helpers: parse SVG with a real XML parser and find the drawer's boxes in it.
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { expect } from "vitest";

export interface Element {
  name: string;
  attrs: Record<string, string>;
  children: (Element | string)[];
}

type Raw = Record<string, unknown>;

function convert(items: Raw[]): (Element | string)[] {
  const out: (Element | string)[] = [];
  for (const item of items) {
    if ("#text" in item) {
      out.push(String(item["#text"]));
      continue;
    }
    const name = Object.keys(item).find((k) => k !== ":@")!;
    const attrs: Record<string, string> = {};
    for (const [k, v] of Object.entries((item[":@"] ?? {}) as Raw)) attrs[k.replace(/^@_/, "")] = String(v);
    out.push({ name, attrs, children: convert(item[name] as Raw[]) });
  }
  return out;
}

/** Validate and parse: fails the test with the parser's message when the SVG is not well-formed XML. */
export function parseSvg(svg: string): Element {
  const valid = XMLValidator.validate(svg);
  expect(valid === true ? true : valid.err).toBe(true);
  const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: "@_",
    processEntities: true,
    htmlEntities: true,
    trimValues: false,
    parseTagValue: false,
    parseAttributeValue: false,
  });
  const root = convert(parser.parse(svg) as Raw[]).find(
    (e): e is Element => typeof e !== "string" && e.name === "svg",
  );
  expect(root, "the document has an <svg> root").toBeDefined();
  return root!;
}

export function* walk(el: Element): Generator<Element> {
  yield el;
  for (const c of el.children) if (typeof c !== "string") yield* walk(c);
}

/**
 * The text spans of an element, in document order (one per SVG <text>), trimmed: the drawer puts
 * a no-break space between an op and its attributes, which are separate spans.
 */
export function textLines(el: Element): string[] {
  const lines: string[] = [];
  for (const e of walk(el)) {
    if (e.name === "text") {
      const text = e.children.map((c) => (typeof c === "string" ? c : textLines(c).join(""))).join("");
      lines.push(text.replace(/\u00a0/g, " ").trim());
    }
  }
  return lines;
}

/** What the legend explains: the labels of its sample boxes. */
export const legendLabels = (root: Element): string[] =>
  [...walk(root)]
    .filter((e) => e.name === "g" && hasClass(e, "aot-legend-item"))
    .flatMap((g) => textLines(g));

const hasClass = (e: Element, cls: string) => (e.attrs.class ?? "").split(/\s+/).includes(cls);

/** Graphviz's node groups for the drawer's boxes (not the legend's samples). */
export function valueGroups(root: Element): Element[] {
  return [...walk(root)].filter((e) => e.name === "g" && hasClass(e, "node") && hasClass(e, "aot-value"));
}

export function groupsWithClass(root: Element, cls: string): Element[] {
  return [...walk(root)].filter((e) => e.name === "g" && hasClass(e, cls));
}

/** Every element name in the document, to check nothing like <script> got in. */
export const elementNames = (root: Element): Set<string> =>
  new Set([...walk(root)].map((e) => e.name.toLowerCase()));
