import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createRuntime } from '../../local-server/runtime/index.ts'
import type { SandboxExit } from '../../local-server/runtime/types.ts'
import { cgroupDirs, eventually, hostTree, py, removeDir, running, texts, useRuntime } from './runtime-fixture.ts'

const fx = useRuntime()

describe('lifecycle', () => {
  it('stops every process, removes the cgroups and private dirs; stop is idempotent', async () => {
    const sb = await fx.launch('microsandbox/python')
    await py(sb, 'import subprocess\nsubprocess.Popen(["sleep", "600"])\nNone')
    await sb.command({ command: 'sh', args: ['-c', 'setsid sleep 600 > /dev/null 2>&1 &'], timeoutSec: 10 })
    const pids = hostTree(sb.pid)
    expect(pids.length).toBeGreaterThanOrEqual(5)
    expect(cgroupDirs(sb.spec.id).length).toBeGreaterThanOrEqual(3)
    await sb.stop()
    expect(pids.filter(running)).toEqual([])
    expect(cgroupDirs(sb.spec.id)).toEqual([])
    expect(existsSync(join(fx.stateDir, 'runtime', sb.spec.id))).toBe(false)
    expect(existsSync(sb.spec.workspaceDir)).toBe(true)
    await sb.stop()
    await expect(py(sb, '1')).rejects.toThrow(/was stopped/)
    await expect(sb.command({ command: 'true', args: [], timeoutSec: 5 })).rejects.toThrow(/was stopped/)
  })

  it('keeps the workspace across launches of the same id', async () => {
    const first = await fx.launch('microsandbox/python')
    await py(first, 'open("/workspace/keep.txt", "w").write("kept")')
    await first.stop()
    const again = await fx.runtime.launch({ ...first.spec })
    expect(texts(await py(again, 'print(open("/workspace/keep.txt").read())'))).toEqual(['kept'])
    await expect(fx.runtime.launch({ ...first.spec })).rejects.toThrow(/already running/)
    await again.stop()
  })

  it('reports a sandbox killed from outside through onExit, once, and cleans up', async () => {
    const sb = await fx.launch('microsandbox/python')
    const exits: SandboxExit[] = []
    sb.onExit((exit) => exits.push(exit))
    const pids = hostTree(sb.pid)
    const pending = py(sb, 'import time\ntime.sleep(60)', 120)
    process.kill(sb.pid, 'SIGKILL')
    await expect(pending).rejects.toThrow(/ended unexpectedly/)
    expect(await eventually(() => exits.length === 1)).toBe(true)
    expect(exits[0]?.reason).toMatch(/ended unexpectedly \(killed by SIGKILL\)/)
    expect(exits[0]?.signal).toBe('SIGKILL')
    expect(await eventually(() => pids.filter(running).length === 0)).toBe(true)
    expect(await eventually(() => cgroupDirs(sb.spec.id).length === 0)).toBe(true)
    await sb.stop()
    expect(exits.length).toBe(1)
  })

  it('measures usage: memory of all processes, disk of the writable dirs, cpu', async () => {
    const sb = await fx.launch('microsandbox/python')
    await sb.command({ command: 'sh', args: ['-c', 'head -c 2000000 /dev/zero > /workspace/blob; head -c 1000000 /dev/zero > /tmp/blob'], timeoutSec: 10 })
    await py(sb, 'import time\nend = time.time() + 0.3\nwhile time.time() < end:\n    pass')
    const usage = await sb.usage()
    expect(usage.memoryMib).toBeGreaterThan(5)
    expect(usage.memoryMib).toBeLessThan(200)
    expect(usage.diskBytes).toBeGreaterThanOrEqual(3_000_000)
    expect(usage.cpuPercent).toBeGreaterThan(0)
    const again = await sb.usage()
    expect(Number.isFinite(again.cpuPercent)).toBe(true)
    await sb.stop()
  })

  it('fails a launch clearly and leaves nothing behind', async () => {
    const id = `bad-${process.pid}`
    const workspaceDir = join(fx.stateDir, 'workspaces', id)
    mkdirSync(workspaceDir, { recursive: true })
    const spec = { id, label: 'test/bad', image: 'microsandbox/python' as const, memoryMib: 256, cpus: 1, envs: [], workdir: '/workspace', workspaceDir }
    const volume = { hostPath: join(fx.stateDir, 'vol'), guestPath: '/usr/lib/forbidden', readOnly: false }
    await expect(fx.runtime.launch({ ...spec, volumes: [volume] })).rejects.toThrow(/could not start sandbox test\/bad: .*forbidden/)
    expect(cgroupDirs(id)).toEqual([])
    expect(existsSync(join(fx.stateDir, 'runtime', id))).toBe(false)
    await expect(fx.runtime.launch({ ...spec, volumes: [], image: 'microsandbox/ruby' as 'microsandbox/python' })).rejects.toThrow(/unsupported image/)
  })

  it('close() stops every sandbox and refuses new ones', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'msb-close-'))
    const runtime = await createRuntime({ stateDir })
    try {
      const sandboxes = await Promise.all(
        ['microsandbox/python', 'microsandbox/node', 'microsandbox/python'].map((image, i) => {
          const workspaceDir = join(stateDir, `ws${i}`)
          mkdirSync(workspaceDir)
          return runtime.launch({ id: `close-${i}`, label: `close/${i}`, image: image as 'microsandbox/python', memoryMib: 256, cpus: 1, volumes: [], envs: [], workdir: '/workspace', workspaceDir })
        }),
      )
      const pids = sandboxes.flatMap((s) => hostTree(s.pid))
      await runtime.close()
      expect(pids.filter(running)).toEqual([])
      expect(sandboxes.flatMap((_, i) => cgroupDirs(`close-${i}`))).toEqual([])
      await expect(runtime.launch({ id: 'late', label: 'late', image: 'microsandbox/python', memoryMib: 256, cpus: 1, volumes: [], envs: [], workdir: '/workspace', workspaceDir: stateDir })).rejects.toThrow(/closed/)
    } finally {
      await runtime.close()
      removeDir(stateDir)
    }
  })

  it('leaves no process when the server dies, and the next runtime removes its stale cgroups', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'msb-crash-'))
    const script = `
      import { createRuntime } from ${JSON.stringify(join(process.cwd(), 'local-server/runtime/index.ts'))}
      import { mkdirSync } from 'node:fs'
      const runtime = await createRuntime({ stateDir: ${JSON.stringify(stateDir)} })
      mkdirSync(${JSON.stringify(join(stateDir, 'ws'))})
      const sb = await runtime.launch({ id: 'orphan', label: 'crash/orphan', image: 'microsandbox/node', memoryMib: 256, cpus: 1, volumes: [], envs: [], workdir: '/workspace', workspaceDir: ${JSON.stringify(join(stateDir, 'ws'))} })
      await sb.repl({ language: 'python', code: 'x = 1', timeoutSec: 10 })
      console.log(JSON.stringify({ pid: sb.pid }))
      setInterval(() => {}, 1000)
    `
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
    try {
      const line = await new Promise<string>((resolve, reject) => {
        child.stdout.once('data', (b: Buffer) => resolve(b.toString()))
        child.once('exit', () => reject(new Error('the child server exited early')))
      })
      const pids = hostTree(JSON.parse(line).pid as number)
      expect(pids.length).toBeGreaterThanOrEqual(4)
      const stale = cgroupDirs('orphan').filter((d) => d.includes(`/${child.pid}-`))
      expect(stale.length).toBeGreaterThanOrEqual(3)
      child.kill('SIGKILL')
      expect(await eventually(() => pids.filter(running).length === 0)).toBe(true)
      const next = await createRuntime({ stateDir })
      await next.close()
      expect(stale.filter((d) => existsSync(d))).toEqual([])
    } finally {
      child.kill('SIGKILL')
      removeDir(stateDir)
    }
  })
})
