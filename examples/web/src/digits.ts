// Handwriting-like digits drawn procedurally, so the page needs no dataset download: each digit
// is a few strokes (lines and arcs on a 0..1 square), jittered per sample by a random rotation,
// scale, shear, shift and stroke width, then rasterized with anti-aliasing. Seeded, so the page
// and the Node reference run see the same pixels.

export const SIZE = 16;

/** A stroke: a polyline in the unit square (y down), sampled densely from lines and arcs. */
type Stroke = readonly (readonly [number, number])[];

const arc = (cx: number, cy: number, rx: number, ry: number, from: number, to: number): Stroke => {
  const n = 24;
  return Array.from({ length: n + 1 }, (_, i) => {
    const t = ((from + ((to - from) * i) / n) * Math.PI) / 180;
    return [cx + rx * Math.cos(t), cy + ry * Math.sin(t)] as const;
  });
};
const line = (...points: [number, number][]): Stroke => points;

/** Angles in degrees, clockwise from +x (y points down). */
const GLYPHS: readonly (readonly Stroke[])[] = [
  [arc(0.5, 0.5, 0.28, 0.38, 0, 360)],
  [line([0.35, 0.28], [0.55, 0.12], [0.55, 0.88])],
  [arc(0.5, 0.33, 0.26, 0.21, 180, 360), line([0.76, 0.33], [0.24, 0.88], [0.8, 0.88])],
  [arc(0.48, 0.3, 0.24, 0.18, 200, 450), arc(0.48, 0.68, 0.28, 0.2, 270, 520)],
  [line([0.62, 0.88], [0.62, 0.12], [0.2, 0.64], [0.82, 0.64])],
  [line([0.74, 0.12], [0.3, 0.12], [0.27, 0.46]), arc(0.48, 0.64, 0.27, 0.24, 230, 500)],
  [arc(0.5, 0.66, 0.25, 0.22, 0, 360), line([0.27, 0.6], [0.62, 0.12])],
  [line([0.22, 0.12], [0.8, 0.12], [0.42, 0.88])],
  [arc(0.5, 0.3, 0.21, 0.18, 0, 360), arc(0.5, 0.68, 0.26, 0.2, 0, 360)],
  [arc(0.5, 0.34, 0.25, 0.22, 0, 360), line([0.74, 0.4], [0.4, 0.88])],
];

/** mulberry32: a small seeded generator (the same sequence in every JS engine). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Distance from p to the segment ab. */
function segmentDistance(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len2));
  const qx = ax + t * dx - px;
  const qy = ay + t * dy - py;
  return Math.sqrt(qx * qx + qy * qy);
}

/** One SIZE x SIZE image of `digit` in [0, 1], row-major, written into `out` at `offset`. */
export function drawDigit(digit: number, random: () => number, out: Float32Array, offset: number): void {
  const angle = (random() - 0.5) * 0.5;
  const scale = 0.8 + random() * 0.25;
  const shear = (random() - 0.5) * 0.4;
  const shiftX = (random() - 0.5) * 0.16;
  const shiftY = (random() - 0.5) * 0.16;
  const width = 0.05 + random() * 0.04;
  const cos = Math.cos(angle) * scale;
  const sin = Math.sin(angle) * scale;
  const segments: number[] = [];
  for (const stroke of GLYPHS[digit]!) {
    const pts = stroke.map(([x, y]) => {
      const u = x - 0.5 + shear * (y - 0.5);
      const v = y - 0.5;
      return [0.5 + shiftX + cos * u - sin * v, 0.5 + shiftY + sin * u + cos * v] as const;
    });
    for (let i = 1; i < pts.length; i++) segments.push(...pts[i - 1]!, ...pts[i]!);
  }
  for (let r = 0; r < SIZE; r++) {
    for (let c = 0; c < SIZE; c++) {
      const px = (c + 0.5) / SIZE;
      const py = (r + 0.5) / SIZE;
      let d = Number.POSITIVE_INFINITY;
      for (let s = 0; s < segments.length; s += 4) {
        d = Math.min(
          d,
          segmentDistance(px, py, segments[s]!, segments[s + 1]!, segments[s + 2]!, segments[s + 3]!),
        );
      }
      // Anti-aliased edge one pixel wide, plus a little sensor noise.
      const ink = Math.max(0, Math.min(1, (width - d) * SIZE + 0.5));
      out[offset + r * SIZE + c] = Math.min(1, ink + random() * 0.05);
    }
  }
}

/** `count` images and labels (cycling through the digits in a shuffled order), from `seed`. */
export function digitBatch(count: number, seed: number): { images: Float32Array; labels: number[] } {
  const random = rng(seed);
  const images = new Float32Array(count * SIZE * SIZE);
  const labels: number[] = [];
  for (let i = 0; i < count; i++) {
    const digit = Math.floor(random() * 10);
    labels.push(digit);
    drawDigit(digit, random, images, i * SIZE * SIZE);
  }
  return { images, labels };
}
