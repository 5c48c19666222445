/**
 * `npm run bench`: the figures the issues ask for, measured on this machine against the real
 * local server (a child process) over real HTTP. Medians (p50) and p90 of many runs; printed as
 * Markdown tables and written to bench/results.md. `--quick` runs fewer iterations.
 */
import { writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { createStorage } from 'unstorage'
import redisDriver from 'unstorage/drivers/redis'
import { MicrosandboxWrapper, silentLogger } from '../src/index.ts'
import { startLocalServer } from '../test/helpers/local-server.ts'
import { startRedis } from '../test/helpers/redis.ts'
import { measure, measurePair, nowMs, percentile, printTable, row, type Row } from './stats.ts'

const quick = process.argv.includes('--quick')
const n = (full: number) => (quick ? Math.max(5, Math.round(full / 5)) : full)

async function rpc(url: string, method: string, params: Record<string, unknown>): Promise<{ result?: unknown; error?: unknown }> {
  const response = await fetch(`${url}/api/v1/rpc`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', method, params, id: 1 }),
  })
  const body = (await response.json()) as { result?: unknown; error?: unknown }
  if (!response.ok) throw new Error(`${method} failed with ${response.status}: ${JSON.stringify(body)}`)
  return body
}

const PY = { image: 'microsandbox/python', memory: 1024, cpus: 1 }
const NODE = { image: 'microsandbox/node', memory: 1024, cpus: 1 }

async function localServerFigures(url: string): Promise<Row[]> {
  let i = 0
  const cold = (config: typeof PY, language: string, code: string) => async () => {
    const name = `cold-${language}-${i++}`
    const start = nowMs()
    await rpc(url, 'sandbox.start', { sandbox: name, config })
    await rpc(url, 'sandbox.repl.run', { sandbox: name, language, code })
    const took = nowMs() - start
    await rpc(url, 'sandbox.stop', { sandbox: name })
    return took
  }
  const timesOf = async (runs: number, fn: () => Promise<number>) => {
    await fn()
    const times: number[] = []
    for (let k = 0; k < runs; k++) times.push(await fn())
    return times
  }
  const coldPy = await timesOf(n(40), cold(PY, 'python', 'print(1)'))
  const coldNode = await timesOf(n(20), cold(NODE, 'nodejs', 'console.log(1)'))

  await rpc(url, 'sandbox.start', { sandbox: 'warm-py', config: PY })
  const warmRepl = await measure(n(1000), () => rpc(url, 'sandbox.repl.run', { sandbox: 'warm-py', language: 'python', code: 'print(1)' }), 20)
  const warmCmd = await measure(n(500), () => rpc(url, 'sandbox.command.run', { sandbox: 'warm-py', command: 'true' }), 20)
  return [
    row('cold python: `sandbox.start` + first `repl.run` of `print(1)`', coldPy, '<= 40 ms'),
    row('cold node: `sandbox.start` + first `repl.run` of `console.log(1)`', coldNode, '<= 90 ms'),
    row('warm `repl.run` of `print(1)`', warmRepl, '<= 2 ms'),
    row('warm `command.run` of `true`', warmCmd, '<= 8 ms'),
  ]
}

async function capacityFigures(url: string): Promise<string> {
  const names = Array.from({ length: 50 }, (_, k) => `fifty-${k}`)
  const started = nowMs()
  for (let k = 0; k < names.length; k += 5) {
    await Promise.all(names.slice(k, k + 5).map((sandbox) => rpc(url, 'sandbox.start', { sandbox, config: PY })))
  }
  const startAll = nowMs() - started
  const answers = await Promise.all(names.map((sandbox, k) => rpc(url, 'sandbox.repl.run', { sandbox, language: 'python', code: `print(${k} * 2)` })))
  const ok = answers.filter((a, k) => JSON.stringify(a.result).includes(`"text":"${k * 2}"`)).length
  await new Promise((r) => setTimeout(r, 1000))
  const metrics = (await rpc(url, 'sandbox.metrics.get', {})).result as { sandboxes: Array<{ name: string; memory_usage: number | null }> }
  const idle = metrics.sandboxes.filter((s) => s.name.startsWith('fifty-')).map((s) => s.memory_usage ?? Number.NaN)
  for (let k = 0; k < names.length; k += 10) await Promise.all(names.slice(k, k + 10).map((sandbox) => rpc(url, 'sandbox.stop', { sandbox })))
  const text = [
    '### Capacity',
    '',
    '| measure | value | target |',
    '|---|---|---|',
    `| python sandboxes alive at once, each answering | ${ok} of ${names.length} (all started in ${(startAll / 1000).toFixed(1)} s) | 50 |`,
    `| idle python sandbox, RSS of all its processes (p50 over the 50) | ${percentile(idle, 50)} MiB | <= 30 MiB |`,
    `| all 50 idle sandboxes together | ${idle.reduce((a, b) => a + b, 0)} MiB | |`,
  ].join('\n')
  console.log(`${text}\n`)
  return text
}

async function wrapperFigures(url: string, redisUrl: string): Promise<Row[]> {
  const rows: Row[] = []
  const stores: Array<[string, MicrosandboxWrapper]> = [
    ['memory store', new MicrosandboxWrapper({ serverUrl: url, logger: silentLogger, sandboxPrefix: 'benchm' })],
    ['Redis store', new MicrosandboxWrapper({ serverUrl: url, logger: silentLogger, sandboxPrefix: 'benchr', storage: createStorage({ driver: redisDriver({ url: redisUrl }) }) })],
  ]
  for (const [label, wrapper] of stores) {
    const first = await wrapper.executeCode('print(1)')
    const [session] = await wrapper.getSessions(first.sessionId)
    // The same repl.run, to the same sandbox, as the wrapper sends it.
    const plain = () => rpc(url, 'sandbox.repl.run', { sandbox: session!.sandboxName, language: 'python', code: 'print(1)', namespace: 'default', timeout: 300 })
    // Three repetitions of alternated pairs; the figures are those of the median repetition.
    const reps: Array<[number[], number[]]> = []
    for (let k = 0; k < 3; k++) reps.push(await measurePair(n(1000), () => wrapper.executeCode('print(1)', { sessionId: first.sessionId }), plain))
    const ratioOf = ([a, b]: [number[], number[]]) => percentile(a, 50) / percentile(b, 50)
    reps.sort((x, y) => ratioOf(x) - ratioOf(y))
    const [viaWrapper, viaFetch] = reps[1]!
    const ratio = ratioOf(reps[1]!)
    rows.push(row(`warm \`executeCode('print(1)')\`, ${label}`, viaWrapper, ''))
    rows.push(row(`same \`repl.run\` with plain fetch (alternated with the line above)`, viaFetch, ''))
    rows.push({ what: `**ratio wrapper / plain fetch (p50), ${label}** (repetitions: ${reps.map((r) => ratioOf(r).toFixed(3)).join(', ')})`, p50: ratio.toFixed(3), p90: (percentile(viaWrapper, 90) / percentile(viaFetch, 90)).toFixed(3), target: label === 'memory store' ? '<= 1.10' : '<= 1.25', runs: viaWrapper.length })
    const tti: number[] = []
    for (let k = 0; k < n(30) + 2; k++) {
      const start = nowMs()
      const r = await wrapper.executeCode('print(1)')
      if (k >= 2) tti.push(nowMs() - start)
      await wrapper.stopSession(r.sessionId)
    }
    rows.push(row(`TTI: new session to first result, \`executeCode\` without a session (${label})`, tti, ''))
    await wrapper.stop()
    await wrapper.storage.dispose()
  }
  return rows
}

const server = await startLocalServer({})
const redis = await startRedis()
try {
  console.log(`# microsandbox-edge benchmark (${new Date().toISOString()}${quick ? ', quick' : ''})\n`)
  const sections: string[] = []
  sections.push(printTable('Local server (plain fetch over HTTP)', await localServerFigures(server.url)))
  sections.push(await capacityFigures(server.url))
  sections.push(printTable('Wrapper overhead (same server, same run)', await wrapperFigures(server.url, redis.url)))
  const out = fileURLToPath(new URL('./results.md', import.meta.url))
  await writeFile(out, `# Benchmark results\n\nMachine: ${process.platform}, Node ${process.version}, \`npm run bench\`${quick ? ' --quick' : ''}.\n\n${sections.join('\n\n')}\n`)
} finally {
  await redis.stop()
  await server.stop()
}
