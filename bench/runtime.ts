/**
 * Benchmark of the sandbox runtime layer (no HTTP): cold launch + first call, warm REPL and
 * command calls, idle memory, and many sandboxes alive at once. Run: `npx tsx bench/runtime.ts`
 * (as root for cgroups; `--quick` for fewer runs).
 * @module
 */
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRuntime } from '../local-server/runtime/index.ts'
import type { ImageName, LaunchedSandbox, SandboxSpec } from '../local-server/runtime/types.ts'

const quick = process.argv.includes('--quick')
const RUNS = quick ? 10 : 40
const WARM = quick ? 200 : 2000
const MANY = 50

const stateDir = mkdtempSync(join(tmpdir(), 'msb-bench-'))
const runtime = await createRuntime({ stateDir })
let seq = 0
const spec = (image: ImageName): SandboxSpec => {
  const id = `bench-${++seq}`
  const workspaceDir = join(stateDir, 'ws', id)
  mkdirSync(workspaceDir, { recursive: true })
  return { id, label: `bench/${id}`, image, memoryMib: 1024, cpus: 1, volumes: [], envs: [], workdir: '/workspace', workspaceDir }
}

const rows: [string, string, string, string][] = []
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN
function record(name: string, samples: number[], unit = 'ms'): void {
  const fmt = (v: number) => (unit === 'ms' ? (v < 1 ? v.toFixed(3) : v.toFixed(1)) : String(Math.round(v)))
  rows.push([name, `${fmt(pct(samples, 0.5))} ${unit}`, `${fmt(pct(samples, 0.9))} ${unit}`, String(samples.length)])
}
const time = async (fn: () => Promise<unknown>) => {
  const t = performance.now()
  await fn()
  return performance.now() - t
}

async function cold(image: ImageName, language: 'python' | 'nodejs', code: string): Promise<void> {
  const launch: number[] = []
  const total: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now()
    const sandbox = await runtime.launch(spec(image))
    launch.push(performance.now() - t)
    const result = await sandbox.repl({ language, code, timeoutSec: 10 })
    total.push(performance.now() - t)
    if (result.output[0]?.text !== '1') throw new Error(`unexpected output ${JSON.stringify(result.output)}`)
    await sandbox.stop()
  }
  record(`${language}: launch (exec-ready)`, launch)
  record(`${language}: cold launch + first ${code}`, total)
}

async function warm(sandbox: LaunchedSandbox): Promise<void> {
  const samples = async (name: string, fn: () => Promise<unknown>) => {
    for (let i = 0; i < 20; i++) await fn()
    const xs: number[] = []
    for (let i = 0; i < WARM; i++) xs.push(await time(fn))
    record(name, xs)
  }
  await samples('warm repl python print(1)', () => sandbox.repl({ language: 'python', code: 'print(1)', timeoutSec: 10 }))
  await samples('warm repl nodejs console.log(1)', () => sandbox.repl({ language: 'nodejs', code: 'console.log(1)', timeoutSec: 10 }))
  await samples('warm command true', () => sandbox.command({ command: 'true', args: [], timeoutSec: 10 }))
  await samples('warm command python3 -c pass', () => sandbox.command({ command: 'python3', args: ['-c', 'pass'], timeoutSec: 10 }))
}

async function idleMemory(image: ImageName, language: 'python' | 'nodejs', n: number): Promise<void> {
  const xs: number[] = []
  for (let i = 0; i < n; i++) {
    const sandbox = await runtime.launch(spec(image))
    await sandbox.repl({ language, code: language === 'python' ? 'x = 1' : 'let x = 1', timeoutSec: 10 })
    await new Promise((r) => setTimeout(r, 100))
    xs.push((await sandbox.usage()).memoryMib)
    await sandbox.stop()
  }
  record(`idle ${image} memory (sum of RSS)`, xs, 'MiB')
}

async function many(): Promise<void> {
  const t = performance.now()
  const sandboxes = await Promise.all(Array.from({ length: MANY }, () => runtime.launch(spec('microsandbox/python'))))
  const started = performance.now() - t
  const answers = await Promise.all(sandboxes.map((s) => time(() => s.repl({ language: 'python', code: 'print(1)', timeoutSec: 30 }))))
  const memory = (await Promise.all(sandboxes.map((s) => s.usage()))).reduce((a, u) => a + u.memoryMib, 0)
  record(`${MANY} python sandboxes: launch all (concurrent)`, [started])
  record(`${MANY} python sandboxes: print(1) each (concurrent)`, answers)
  record(`${MANY} python sandboxes: total memory`, [memory], 'MiB')
  await Promise.all(sandboxes.map((s) => s.stop()))
}

try {
  await cold('microsandbox/python', 'python', 'print(1)')
  await cold('microsandbox/node', 'nodejs', 'console.log(1)')
  const sandbox = await runtime.launch(spec('microsandbox/python'))
  await warm(sandbox)
  await sandbox.stop()
  await idleMemory('microsandbox/python', 'python', quick ? 3 : 10)
  await idleMemory('microsandbox/node', 'nodejs', 3)
  await many()
} finally {
  await runtime.close()
  rmSync(stateDir, { recursive: true, force: true })
}

const widths = [0, 1, 2, 3].map((i) => Math.max(...[['case', 'p50', 'p90', 'runs'], ...rows].map((r) => (r[i] as string).length)))
const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i] as number)).join('  ')
console.log(`runtime bench (${runtime.report.limits.memory} limits, ${process.getuid?.() === 0 ? 'root' : 'non-root'})`)
console.log(line(['case', 'p50', 'p90', 'runs']))
for (const r of rows) console.log(line(r))
