// The memory/recompute trade-off as a chart: saved bytes against estimated recompute time, one
// point per budget. Handwritten SVG (a scatter with a line through it needs no layout engine),
// so it is synchronous and runs anywhere.
import { formatBytes } from "@aotjs/ir";
import { xml } from "./escape.js";
import { DrawError } from "./render.js";

/**
 * One partition on the trade-off curve. The shape of `paretoFrontier`'s points in
 * @aotjs/partitioner, stated here so the drawer does not depend on the partitioner.
 */
export interface FrontierPointLike {
  /** Saved activation bytes. */
  readonly savedBytes: number;
  /** Estimated milliseconds of forward work the backward redoes. */
  readonly recomputeMs: number;
  /** The memory budget (0..1) the point was solved at, shown as its label. */
  readonly budget?: number;
}

/** Title, size and axis labels of `renderFrontierSvg`'s chart. */
export interface FrontierChartOptions {
  /** Shown above the plot (say, the model's name). Default "Memory budget frontier". */
  readonly title?: string;
  /** Pixel size of the whole image. Defaults 640 x 400. */
  readonly width?: number;
  readonly height?: number;
}

const MARGIN = { left: 72, right: 24, top: 44, bottom: 56 } as const;

/** About `count` round tick values (1, 2 or 5 times a power of ten) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) {
    ticks.push(Number(t.toPrecision(12)));
  }
  return ticks;
}

/** The byte unit (a power of 1024) the axis counts in, so ticks are round in that unit. */
function byteUnit(max: number): { scale: number; name: string } {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let u = 0;
  while (max >= 1024 ** (u + 1) && u < units.length - 1) u++;
  return { scale: 1024 ** u, name: units[u]! };
}

/** A range with room around it; a single value gets a range of its own. */
function padded(values: readonly number[]): [number, number] {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  if (hi > lo) return [Math.max(0, lo - (hi - lo) * 0.05), hi + (hi - lo) * 0.05];
  return hi === 0 ? [0, 1] : [Math.max(0, lo * 0.9), hi * 1.1];
}

const num = (x: number) => Number(x.toFixed(2));

function checkPoints(points: readonly FrontierPointLike[]): void {
  if (!Array.isArray(points) || points.length === 0)
    throw new DrawError("renderFrontierSvg: give at least one point ({ savedBytes, recomputeMs, budget? })");
  points.forEach((p, i) => {
    for (const key of ["savedBytes", "recomputeMs"] as const) {
      const v = p?.[key];
      if (typeof v !== "number" || !Number.isFinite(v) || v < 0)
        throw new DrawError(
          `renderFrontierSvg: point ${i} has ${key} ${String(v)}; it must be a finite number >= 0`,
        );
    }
  });
}

/**
 * The trade-off chart as an SVG document (a string): saved activation bytes on x, estimated
 * recompute milliseconds on y, one circle per point (labelled with its budget), joined in order
 * of saved bytes. Every text goes through `xml`, so a title can't break the document.
 */
export function renderFrontierSvg(
  points: readonly FrontierPointLike[],
  options: FrontierChartOptions = {},
): string {
  checkPoints(points);
  const width = options.width ?? 640;
  const height = options.height ?? 400;
  const title = options.title ?? "Memory budget frontier";
  const sorted = [...points].sort((a, b) => a.savedBytes - b.savedBytes || b.recomputeMs - a.recomputeMs);
  const unit = byteUnit(Math.max(...sorted.map((p) => p.savedBytes)));
  const [x0, x1] = padded(sorted.map((p) => p.savedBytes / unit.scale));
  const [y0, y1] = padded(sorted.map((p) => p.recomputeMs));
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const sx = (bytes: number) => MARGIN.left + ((bytes / unit.scale - x0) / (x1 - x0)) * plotW;
  const sy = (ms: number) => MARGIN.top + plotH - ((ms - y0) / (y1 - y0)) * plotH;
  const bottom = MARGIN.top + plotH;

  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect class="aot-frontier-background" x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text class="aot-frontier-title" x="${width / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${xml(title)}</text>`,
  ];
  // Grid and tick labels first, so the curve draws over them.
  out.push('<g class="aot-frontier-x-axis">');
  for (const t of niceTicks(x0, x1, 8)) {
    const x = num(MARGIN.left + ((t - x0) / (x1 - x0)) * plotW);
    out.push(
      `<line x1="${x}" y1="${MARGIN.top}" x2="${x}" y2="${bottom}" stroke="#e6e6e6"/>`,
      `<text x="${x}" y="${bottom + 16}" text-anchor="middle">${xml(`${Number(t.toPrecision(6))}`)}</text>`,
    );
  }
  out.push(
    `<line x1="${MARGIN.left}" y1="${bottom}" x2="${MARGIN.left + plotW}" y2="${bottom}" stroke="#333333"/>`,
    `<text class="aot-frontier-label" x="${MARGIN.left + plotW / 2}" y="${height - 14}" text-anchor="middle">${xml(`saved activations (${unit.name})`)}</text>`,
    "</g>",
    '<g class="aot-frontier-y-axis">',
  );
  for (const t of niceTicks(y0, y1, 8)) {
    const y = num(MARGIN.top + plotH - ((t - y0) / (y1 - y0)) * plotH);
    out.push(
      `<line x1="${MARGIN.left}" y1="${y}" x2="${MARGIN.left + plotW}" y2="${y}" stroke="#e6e6e6"/>`,
      `<text x="${MARGIN.left - 8}" y="${y + 4}" text-anchor="end">${xml(`${Number(t.toPrecision(6))}`)}</text>`,
    );
  }
  out.push(
    `<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${bottom}" stroke="#333333"/>`,
    `<text class="aot-frontier-label" transform="translate(18 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">estimated recompute (ms)</text>`,
    "</g>",
  );
  const path = sorted.map((p) => `${num(sx(p.savedBytes))},${num(sy(p.recomputeMs))}`).join(" ");
  out.push(
    `<polyline class="aot-frontier-line" points="${path}" fill="none" stroke="#4878d0" stroke-width="2"/>`,
    '<g class="aot-frontier-points">',
  );
  for (const p of sorted) {
    const x = num(sx(p.savedBytes));
    const y = num(sy(p.recomputeMs));
    const budget = p.budget === undefined ? "" : `budget ${p.budget}: `;
    const tip = `${budget}${formatBytes(p.savedBytes)} saved, ${num(p.recomputeMs * 1000) / 1000} ms recomputed`;
    out.push(
      `<circle cx="${x}" cy="${y}" r="4.5" fill="#4878d0" stroke="#ffffff" stroke-width="1.5"><title>${xml(tip)}</title></circle>`,
    );
    if (p.budget !== undefined)
      out.push(
        `<text x="${x + 6}" y="${y - 7}" font-size="10" fill="#555555">${xml(String(p.budget))}</text>`,
      );
  }
  out.push("</g>", "</svg>", "");
  return out.join("\n");
}
