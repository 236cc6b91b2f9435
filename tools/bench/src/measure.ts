/** Every run's wall time in ms, after `warmup` unmeasured runs (never fewer than 3: first runs grow arenas, JIT and caches). */
export async function timesMs(fn: () => unknown, { runs = 7, warmup = 3 } = {}): Promise<number[]> {
  for (let i = 0; i < Math.max(3, warmup); i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times;
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Median wall time in ms of `fn` over `runs` runs after at least 3 warm-up runs. */
export async function medianMs(
  fn: () => unknown,
  options: { runs?: number; warmup?: number } = {},
): Promise<number> {
  return median(await timesMs(fn, options));
}

export function table(rows: Record<string, string | number>[]): void {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]!);
  const cells = rows.map((r) => cols.map((c) => String(r[c] ?? "")));
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (xs: string[]) => `| ${xs.map((x, i) => x.padEnd(widths[i]!)).join(" | ")} |`;
  console.log(line(cols));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const r of cells) console.log(line(r));
}
