/**
 * The runtime without cgroups (hosts where no hierarchy is writable): limits fall back to
 * RLIMIT_AS, sched affinity and RLIMIT_NPROC, and stopping still ends every process. A fork bomb is
 * not run here: RLIMIT_NPROC counts every process of the sandbox uid on the host, shared with
 * whatever else runs as that uid.
 */
import { describe, expect, it } from 'vitest'
import { hostTree, js, py, running, texts, useRuntime } from './runtime-fixture.ts'

const fx = useRuntime({ noCgroups: true })

describe('fallback limits (no cgroups)', () => {
  it('reports the fallbacks', () => {
    expect(fx.runtime.report.limits).toEqual({ memory: 'rlimit', cpu: 'affinity', pids: 'rlimit' })
    expect(fx.runtime.report.notes.some((n) => n.includes('per host uid'))).toBe(true)
  })

  it('applies RLIMIT_AS, RLIMIT_NPROC and the CPU affinity to the sandbox processes', async () => {
    const sb = await fx.launch('microsandbox/python', { memoryMib: 1536, cpus: 1 })
    const code = 'import os, resource\nprint(resource.getrlimit(resource.RLIMIT_AS)[0] // 2**20, resource.getrlimit(resource.RLIMIT_NPROC)[0], len(os.sched_getaffinity(0)))'
    expect(texts(await py(sb, code))).toEqual([`1536 ${256 * 16} 1`])
    const viaCommand = await sb.command({ command: 'python3', args: ['-c', code], timeoutSec: 10 })
    expect(texts(viaCommand.output)).toEqual([`1536 ${256 * 16} 1`])
  })

  it('turns a memory bomb into a MemoryError; the interpreter keeps its state', async () => {
    const sb = await fx.launch('microsandbox/python', { memoryMib: 1024 })
    await py(sb, 'kept = 7')
    const output = await py(sb, 'chunks = []\nwhile True:\n    chunks.append(b"x" * 50_000_000)', 60)
    expect(texts(output, 'stderr').at(-1)).toBe('MemoryError')
    expect(texts(await py(sb, 'del chunks\nkept'))).toEqual(['7'])
  })

  it('runs node under the address-space limit', async () => {
    const sb = await fx.launch('microsandbox/node', { memoryMib: 256 })
    expect(await js(sb, '6 * 7')).toEqual([{ stream: 'stdout', text: '42' }])
  })

  it('stops every process without cgroups', async () => {
    const sb = await fx.launch('microsandbox/python')
    await sb.command({ command: 'sh', args: ['-c', 'setsid sleep 600 > /dev/null 2>&1 &'], timeoutSec: 10 })
    const pids = hostTree(sb.pid)
    expect(pids.length).toBeGreaterThanOrEqual(4)
    await sb.stop()
    expect(pids.filter(running)).toEqual([])
  })
})
