/**
 * Small measuring helpers for `npm run bench`: repeat, time, percentiles, a table.
 */

/** Milliseconds since an arbitrary origin, sub-millisecond precision. */
export const nowMs = (): number => performance.now()

/** Percentile `p` (0-100) of `values` (nearest rank). */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank] ?? Number.NaN
}

/** Runs `fn` `warmup` times unmeasured, then `runs` times measured; returns the durations in ms. */
export async function measure(runs: number, fn: () => Promise<unknown>, warmup = 3): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn()
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const start = nowMs()
    await fn()
    times.push(nowMs() - start)
  }
  return times
}

/**
 * Runs `a` and `b` alternately (so drift hits both alike) and returns both duration lists.
 */
export async function measurePair(runs: number, a: () => Promise<unknown>, b: () => Promise<unknown>, warmup = 20): Promise<[number[], number[]]> {
  for (let i = 0; i < warmup; i++) {
    await a()
    await b()
  }
  const ta: number[] = []
  const tb: number[] = []
  for (let i = 0; i < runs; i++) {
    const first = i % 2 === 0
    for (const [fn, into] of first ? [[a, ta], [b, tb]] as const : [[b, tb], [a, ta]] as const) {
      const start = nowMs()
      await fn()
      into.push(nowMs() - start)
    }
  }
  return [ta, tb]
}

/** One row of the result table. */
export interface Row {
  what: string
  p50: string
  p90: string
  target: string
  runs: number
}

/** Formats a duration list as a table row. */
export function row(what: string, times: number[], target: string, digits = 2): Row {
  return { what, p50: `${percentile(times, 50).toFixed(digits)} ms`, p90: `${percentile(times, 90).toFixed(digits)} ms`, target, runs: times.length }
}

/** Prints rows as a Markdown table. */
export function printTable(title: string, rows: Row[]): string {
  const lines = [`### ${title}`, '', '| measure | p50 | p90 | target | runs |', '|---|---|---|---|---|']
  for (const r of rows) lines.push(`| ${r.what} | ${r.p50} | ${r.p90} | ${r.target} | ${r.runs} |`)
  const text = lines.join('\n')
  console.log(`${text}\n`)
  return text
}
