import { readFileSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import { CommandFailure, type LaunchedSandbox } from '../../local-server/runtime/types.ts'
import { cgroupDirs, js, py, texts, useRuntime } from './runtime-fixture.ts'

const fx = useRuntime({ maxOutputBytes: 1024 * 1024, pidsMax: 128 })

/** Keeps calling `other` while `work` runs and once after; returns what `work` returned. */
async function whileOtherAnswers<T>(other: LaunchedSandbox, work: Promise<T>): Promise<T> {
  let done = false
  const answers: string[] = []
  const poll = (async () => {
    while (!done) {
      answers.push(...texts(await py(other, 'print("alive")')))
      await new Promise((r) => setTimeout(r, 100))
    }
  })()
  const result = await work.finally(() => {
    done = true
  })
  await poll
  answers.push(...texts(await py(other, 'print("alive")')))
  expect(answers.length).toBeGreaterThanOrEqual(2)
  expect(new Set(answers)).toEqual(new Set(['alive']))
  return result
}

describe('limits', () => {
  let other: LaunchedSandbox
  beforeAll(async () => {
    other = await fx.launch('microsandbox/python')
  })

  it('contains a python memory bomb: the interpreter is killed, restarted, and the result says why', async () => {
    const sb = await fx.launch('microsandbox/python', { memoryMib: 128 })
    await py(sb, 'before = 1')
    const output = await whileOtherAnswers(other, py(sb, 'chunks = []\nwhile True:\n    chunks.append(b"x" * 10_000_000)', 60))
    expect(output.at(-1)).toEqual({
      stream: 'stderr',
      text: 'Error: the python interpreter was killed (out of memory: the sandbox limit is 128 MiB); it was restarted and earlier state is lost',
    })
    expect(texts(await py(sb, 'before'), 'stderr').at(-1)).toBe("NameError: name 'before' is not defined")
    expect(await py(sb, 'print("back")')).toEqual([{ stream: 'stdout', text: 'back' }])
  })

  it('contains a node memory bomb outside the V8 heap', async () => {
    const sb = await fx.launch('microsandbox/node', { memoryMib: 192 })
    const output = await whileOtherAnswers(other, js(sb, 'const bufs = []; while (true) bufs.push(Buffer.alloc(10_000_000, 1))', 60))
    expect(output.at(-1)?.text).toMatch(/^Error: the node interpreter was killed \(out of memory: the sandbox limit is 192 MiB\); it was restarted/)
    expect(await js(sb, '1 + 1')).toEqual([{ stream: 'stdout', text: '2' }])
  })

  it('reports a command killed for memory', async () => {
    const sb = await fx.launch('microsandbox/python', { memoryMib: 128 })
    const result = await sb.command({ command: 'python3', args: ['-c', 'a = []\nwhile True: a.append(b"x" * 10_000_000)'], timeoutSec: 60 })
    expect(result.exitCode).toBe(137)
    expect(result.output.at(-1)?.text).toBe('[the command was killed (out of memory: the sandbox limit is 128 MiB)]')
  })

  it('contains a fork bomb in the REPL with the process cap, and the timeout ends it', async () => {
    const sb = await fx.launch('microsandbox/python')
    const pidsDir = cgroupDirs(sb.spec.id).find((d) => d.includes('/pids/'))
    let peak = 0
    const sample = setInterval(() => {
      if (pidsDir) peak = Math.max(peak, Number(readFileSync(`${pidsDir}/pids.current`, 'utf8')))
    }, 50)
    const bomb = 'import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass'
    const output = await whileOtherAnswers(other, py(sb, bomb, 3)).finally(() => clearInterval(sample))
    expect(output.at(-1)).toEqual({ stream: 'stderr', text: 'Error: Execution timed out after 3 seconds' })
    expect(peak).toBeLessThanOrEqual(128)
    expect(await py(sb, 'print("back")')).toEqual([{ stream: 'stdout', text: 'back' }])
    expect((await sb.command({ command: 'true', args: [], timeoutSec: 10 })).exitCode).toBe(0)
  })

  it('contains a shell fork bomb run as a command', async () => {
    const sb = await fx.launch('microsandbox/python')
    const error = await whileOtherAnswers(
      other,
      sb.command({ command: 'sh', args: ['-c', 'bomb() { bomb | bomb & }; bomb; sleep 60'], timeoutSec: 3 }).then(() => null, (e: unknown) => e),
    )
    expect(error).toBeInstanceOf(CommandFailure)
    expect((error as CommandFailure).kind).toBe('timeout')
    expect(await py(sb, 'print("back")')).toEqual([{ stream: 'stdout', text: 'back' }])
  })

  it('stops an endless loop at its timeout', async () => {
    const sb = await fx.launch('microsandbox/python')
    const output = await whileOtherAnswers(other, py(sb, 'while True:\n    pass', 2))
    expect(texts(output).at(-1)).toBe('Error: Execution timed out after 2 seconds')
    expect(await py(sb, '2 + 2')).toEqual([{ stream: 'stdout', text: '4' }])
  })

  it('stops a node worker hung in a timer at the next call\'s timeout, while commands keep running', async () => {
    const sb = await fx.launch('microsandbox/node')
    expect(await js(sb, 'setImmediate(() => { while (true) {} }); "armed"')).toEqual([{ stream: 'stdout', text: "'armed'" }])
    const stuck = js(sb, `"${'x'.repeat(200_000)}".length`, 2)
    expect((await sb.command({ command: 'echo', args: ['still here'], timeoutSec: 10 })).output).toEqual([{ stream: 'stdout', text: 'still here' }])
    expect(texts(await stuck).at(-1)).toBe('Error: Execution timed out after 2 seconds')
    expect(await js(sb, '1 + 2')).toEqual([{ stream: 'stdout', text: '3' }])
  })

  it('caps a REPL output flood with a marker and keeps draining', async () => {
    const sb = await fx.launch('microsandbox/python')
    const output = await whileOtherAnswers(other, py(sb, 'while True:\n    print("x" * 1000)', 3))
    const stdout = texts(output, 'stdout')
    expect(stdout.length).toBeGreaterThan(100)
    expect(stdout.reduce((n, t) => n + t.length + 1, 0)).toBeLessThanOrEqual(1024 * 1024)
    expect(texts(output, 'stderr')).toEqual([
      '[output truncated: more than 1 MiB]',
      'Error: the python interpreter was stopped and restarted; earlier state is lost',
      'Error: Execution timed out after 3 seconds',
    ])
  })

  it('caps command output, finished or timed out', async () => {
    const sb = await fx.launch('microsandbox/python')
    const finished = await sb.command({ command: 'sh', args: ['-c', 'yes | head -n 3000000; echo end >&2'], timeoutSec: 30 })
    expect(finished.exitCode).toBe(0)
    expect(finished.output.at(-1)).toEqual({ stream: 'stderr', text: '[output truncated: more than 1 MiB]' })
    expect(finished.output.length).toBeLessThanOrEqual(1024 * 1024 / 2 + 1)
    const error = await sb.command({ command: 'yes', args: [], timeoutSec: 2 }).then(() => null, (e: unknown) => e as CommandFailure)
    expect(error?.kind).toBe('timeout')
    expect(error?.output.at(-1)).toEqual({ stream: 'stderr', text: '[output truncated: more than 1 MiB]' })
    const longLine = await sb.command({ command: 'sh', args: ['-c', 'head -c 3000000 /dev/zero | tr "\\0" a'], timeoutSec: 30 })
    expect(longLine.output[0]?.text.length).toBeLessThan(1024 * 1024)
    expect(longLine.output.at(-1)?.text).toBe('[output truncated: more than 1 MiB]')
  })

  it('survives code that kills its own interpreter', async () => {
    const sb = await fx.launch('microsandbox/python')
    expect(texts(await py(sb, 'import os\nos._exit(1)'))).toEqual(['Error: the python interpreter exited with code 1; it was restarted and earlier state is lost'])
    expect(texts(await py(sb, 'import os, signal\nos.kill(os.getpid(), signal.SIGKILL)'))).toEqual([
      'Error: the python interpreter was killed by signal 9 (SIGKILL); it was restarted and earlier state is lost',
    ])
    expect(texts(await js(sb, 'process.kill(process.pid, "SIGTERM")'))).toEqual([
      'Error: the node interpreter was killed by signal 15 (SIGTERM); it was restarted and earlier state is lost',
    ])
    expect(await py(sb, '3 * 3')).toEqual([{ stream: 'stdout', text: '9' }])
  })

  it('writes the memory, CPU and process limits to the sandbox cgroups', async () => {
    const sb = await fx.launch('microsandbox/python', { memoryMib: 300, cpus: 2 })
    const dirs = cgroupDirs(sb.spec.id)
    const read = (controller: string, file: string) => readFileSync(`${dirs.find((d) => d.includes(`/${controller}/`))}/${file}`, 'utf8').trim()
    expect(read('memory', 'memory.limit_in_bytes')).toBe(String(300 * 1024 * 1024))
    expect(read('cpu', 'cpu.cfs_quota_us')).toBe('200000')
    expect(read('cpu', 'cpu.cfs_period_us')).toBe('100000')
    expect(read('pids', 'pids.max')).toBe('128')
    const procs = read('pids', 'cgroup.procs').split('\n').map(Number)
    expect(procs).toContain(sb.pid)
  })
})
