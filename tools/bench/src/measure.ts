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

/**
 * Median ms of each function, measured in alternating rounds (`runs` runs of each per round, after
 * warm-up), so a shared machine's slow spells fall on all of them alike.
 */
export async function alternatingMs<K extends string>(
  fns: Readonly<Record<K, () => unknown>>,
  { rounds = 5, runs = 10, warmup = 5 } = {},
): Promise<Record<K, number>> {
  const keys = Object.keys(fns) as K[];
  const times = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let round = 0; round < rounds; round++) {
    for (const k of keys) times[k].push(...(await timesMs(fns[k], { runs, warmup: round ? 1 : warmup })));
  }
  return Object.fromEntries(keys.map((k) => [k, median(times[k])])) as Record<K, number>;
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
