/**
 * Plugins and hooks, and the background tasks, against the real local server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createError, definePlugin, type HookName } from '../../src/index.ts'
import { startLocalServer } from '../helpers/local-server.ts'
import { caught, makeWrapper, memoryLogger } from '../helpers/wrapper.ts'

let server: Awaited<ReturnType<typeof startLocalServer>>
beforeAll(async () => {
  server = await startLocalServer({})
})
afterAll(async () => {
  await server?.stop()
})

const ALL: HookName[] = ['session:created', 'session:reused', 'session:stopped', 'session:expired', 'session:evicted', 'execute:before', 'execute:after', 'command:before', 'command:after', 'error', 'cleanup:after']

describe('hooks', () => {
  it('every hook fires with its context', async () => {
    const seen: Array<{ name: HookName; context: Record<string, unknown> }> = []
    let time = Date.now()
    const w = makeWrapper({
      serverUrl: server.url, sandboxPrefix: 'hooks', maxConcurrentSessions: 1, sessionTimeout: 60, cleanupInterval: 10, now: () => time,
      plugins: [definePlugin({ name: 'recorder', setup(ctx) {
        for (const name of ALL) ctx.hook(name, (context) => void seen.push({ name, context: context as unknown as Record<string, unknown> }))
      } })],
    })
    const first = await w.executeCode('print(1)')
    await w.executeCommand('true', { sessionId: first.sessionId })
    await caught(() => w.executeCode('1', { sessionId: first.sessionId, template: 'node' }))
    const survivor = await w.executeCode('2') // evicts the first (limit 1)
    time += 61_000
    await w.runScheduled()
    const third = await w.executeCode('3')
    await w.stopSession(third.sessionId)
    const names = new Set(seen.map((s) => s.name))
    expect([...names].sort()).toEqual([...ALL].sort())
    const created = seen.find((s) => s.name === 'session:created')!.context
    expect(created).toMatchObject({ session: { sessionId: first.sessionId, template: 'python', flavor: 'small' } })
    expect(seen.find((s) => s.name === 'execute:before')!.context).toMatchObject({ code: 'print(1)', template: 'python', flavor: 'small', timeout: 300 })
    expect(seen.find((s) => s.name === 'execute:after')!.context).toMatchObject({ sessionId: first.sessionId, result: { stdout: '1', success: true } })
    expect(seen.find((s) => s.name === 'command:after')!.context).toMatchObject({ command: 'true', result: { exitCode: 0 } })
    expect(seen.find((s) => s.name === 'session:evicted')!.context).toMatchObject({ session: { sessionId: first.sessionId } })
    expect(seen.find((s) => s.name === 'session:expired')!.context).toMatchObject({ session: { sessionId: survivor.sessionId } })
    expect(seen.find((s) => s.name === 'error')!.context).toMatchObject({ operation: 'executeCode', error: { code: 'TEMPLATE_MISMATCH' } })
    expect(seen.find((s) => s.name === 'cleanup:after')!.context).toMatchObject({ expiredSessions: 1 })
    expect(seen.find((s) => s.name === 'session:stopped')!.context).toMatchObject({ session: { sessionId: third.sessionId } })
  })

  it('a throwing execute:before refuses the call with its own error, before any sandbox is made', async () => {
    const w = makeWrapper({
      serverUrl: server.url, sandboxPrefix: 'refuse',
      plugins: [definePlugin({ name: 'gate', setup(ctx) {
        ctx.hook('execute:before', (c) => {
          if (c.code.includes('forbidden')) throw createError('QUOTA_EXCEEDED', 'no more today', { retryAfter: 60 })
        })
        ctx.hook('command:before', () => {
          throw createError('FORBIDDEN', 'commands are off')
        })
      } })],
    })
    const error = await caught(() => w.executeCode('forbidden()'))
    expect(error).toMatchObject({ code: 'QUOTA_EXCEEDED', message: 'no more today', retryAfter: 60 })
    expect((await caught(() => w.executeCommand('ls'))).code).toBe('FORBIDDEN')
    expect((await w.getResourceStats()).activeSessions).toBe(0)
    expect((await w.executeCode('print("allowed")')).stdout).toBe('allowed')
  })

  it('a throwing observer is logged and the call succeeds', async () => {
    const { logger, lines } = memoryLogger()
    const w = makeWrapper({
      serverUrl: server.url, sandboxPrefix: 'observer', logger,
      plugins: [definePlugin({ name: 'broken', setup(ctx) {
        ctx.hook('execute:after', () => { throw new Error('observer exploded') })
        ctx.hook('session:created', async () => { throw new Error('async observer exploded') })
      } })],
    })
    const r = await w.executeCode('print("fine")')
    expect(r.stdout).toBe('fine')
    const warnings = lines.filter((l) => l.level === 'warn' && l.message.includes('hook'))
    expect(warnings.map((l) => l.fields?.error)).toEqual(expect.arrayContaining(['observer exploded', 'async observer exploded']))
  })

  it('hook() returns an unregister function', async () => {
    const calls: string[] = []
    let off: () => void = () => {}
    const w = makeWrapper({ serverUrl: server.url, sandboxPrefix: 'unreg', plugins: [definePlugin({ name: 'once', setup(ctx) { off = ctx.hook('execute:after', () => void calls.push('x')) } })] })
    await w.executeCode('1')
    off()
    await w.executeCode('2')
    expect(calls).toEqual(['x'])
  })

  it('a plugin whose setup throws makes calls fail with CONFIGURATION_ERROR naming it', async () => {
    const w = makeWrapper({ serverUrl: server.url, plugins: [definePlugin({ name: 'bad-setup', setup() { throw new Error('missing option') } })] })
    const error = await caught(() => w.executeCode('1'))
    expect(error).toMatchObject({ code: 'CONFIGURATION_ERROR' })
    expect(error.message).toContain('bad-setup')
  })
})

describe('background tasks', () => {
  it('the timer expires an idle session; pause stops it, resume restarts it, status says so', async () => {
    const w = makeWrapper({ serverUrl: server.url, sandboxPrefix: 'bg', sessionTimeout: 2, cleanupInterval: 1 })
    expect((await w.getBackgroundTaskStatus()).state).toBe('stopped')
    await w.start()
    const status = await w.getBackgroundTaskStatus()
    expect(status).toMatchObject({ state: 'running', wrapperStarted: true })
    expect(status.tasks.map((t) => t.name)).toEqual(['session-cleanup', 'orphan-cleanup'])
    const s = await w.executeCode('1')
    await waitFor(async () => (await w.getSessions(s.sessionId)).length === 0, 10_000)
    expect((await w.getBackgroundTaskStatus()).tasks[0]!.runs).toBeGreaterThan(0)

    expect(await w.pauseBackgroundTasks()).toEqual({ status: 'success', tasksPaused: ['session-cleanup', 'orphan-cleanup'] })
    expect((await w.getBackgroundTaskStatus()).state).toBe('paused')
    const kept = await w.executeCode('1')
    await new Promise((r) => setTimeout(r, 3500))
    expect(await w.getSessions(kept.sessionId)).toHaveLength(1)
    expect((await w.pauseBackgroundTasks()).status).toBe('no_tasks_to_pause')

    expect((await w.resumeBackgroundTasks()).status).toBe('success')
    expect((await w.getBackgroundTaskStatus()).state).toBe('running')
    await waitFor(async () => (await w.getSessions(kept.sessionId)).length === 0, 10_000)
    await w.stop()
    expect((await w.getBackgroundTaskStatus()).state).toBe('stopped')
  })
})

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 100))
  }
}
