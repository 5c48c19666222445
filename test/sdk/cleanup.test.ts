/**
 * Expiry and the orphan reaper against the real local server. The wrapper's clock is injected
 * so that an hour can pass in a test; the server and its sandboxes are real.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient, definePlugin } from '../../src/index.ts'
import { deriveSandboxName } from '../../src/sessions/names.ts'
import { startLocalServer } from '../helpers/local-server.ts'
import { makeWrapper } from '../helpers/wrapper.ts'

let server: Awaited<ReturnType<typeof startLocalServer>>
beforeAll(async () => {
  server = await startLocalServer({})
})
afterAll(async () => {
  await server?.stop()
})

function clock(start = Date.now()) {
  let t = start
  return { now: () => t, advance: (ms: number) => void (t += ms) }
}

describe('expiry', () => {
  it('stops and removes sessions idle for longer than the timeout; a later call says recreated', async () => {
    const time = clock()
    const reports: Array<{ expiredSessions: number; orphanSandboxes: number }> = []
    const expired: string[] = []
    const w = makeWrapper({
      serverUrl: server.url, sessionTimeout: 60, cleanupInterval: 10, sandboxPrefix: 'exp', now: time.now,
      plugins: [definePlugin({ name: 'watch', setup(ctx) {
        ctx.hook('cleanup:after', (c) => void reports.push({ expiredSessions: c.expiredSessions, orphanSandboxes: c.orphanSandboxes }))
        ctx.hook('session:expired', (c) => void expired.push(c.session.sessionId))
      } })],
    })
    const idle = await w.executeCode('x = 1')
    time.advance(30_000)
    const active = await w.executeCode('y = 1')
    const [idleInfo] = await w.getSessions(idle.sessionId)
    time.advance(31_000) // idle: 61 s without use; active: 31 s
    expect(await w.cleanupExpiredSessions()).toBe(1)
    expect(expired).toEqual([idle.sessionId])
    expect((await w.getSessions()).map((s) => s.sessionId)).toEqual([active.sessionId])
    const client = createClient({ serverUrl: server.url, namespace: 'default' })
    expect((await client.metrics(idleInfo!.sandboxName))[0]?.running).toBe(false)
    const back = await w.executeCode('print(x)', { sessionId: idle.sessionId })
    expect(back).toMatchObject({ sessionRecreated: true, success: false })
    expect(await w.runScheduled()).toEqual({ expiredSessions: 0, orphanSandboxes: 0 })
    expect(reports.at(-1)).toEqual({ expiredSessions: 0, orphanSandboxes: 0 })
  })

  it('never expires a session while it executes', async () => {
    const time = clock()
    const w = makeWrapper({ serverUrl: server.url, sessionTimeout: 60, cleanupInterval: 10, sandboxPrefix: 'exe', now: time.now })
    const s = await w.executeCode('import time')
    const running = w.executeCode('time.sleep(2)\nprint("done")', { sessionId: s.sessionId, timeout: 30 })
    await new Promise((r) => setTimeout(r, 300))
    time.advance(120_000)
    expect(await w.cleanupExpiredSessions()).toBe(0)
    expect((await running).stdout).toBe('done')
    expect(await w.getSessions(s.sessionId)).toHaveLength(1)
  })
})

describe('orphan reaper', () => {
  it('stops only our sandboxes without a session, once older than the grace period', async () => {
    const time = clock()
    const w = makeWrapper({ serverUrl: server.url, orphanGracePeriod: 300, sandboxPrefix: 'orph', now: time.now })
    const client = createClient({ serverUrl: server.url, namespace: 'default' })
    const config = { image: 'microsandbox/python', memory: 512, cpus: 1 }
    await client.startSandbox('made-by-hand', config, { timeoutMs: 30_000 })
    await client.startSandbox('orph-lookalike-but-not-ours', config, { timeoutMs: 30_000 })
    const orphan = await deriveSandboxName('default', 'orph', 'a-session-nobody-has')
    await client.startSandbox(orphan, config, { timeoutMs: 30_000 })
    const otherDeployment = await deriveSandboxName('default', 'other', 'x')
    await client.startSandbox(otherDeployment, config, { timeoutMs: 30_000 })
    const otherNamespace = await deriveSandboxName('team-b', 'orph', 'a-session-nobody-has') // same prefix, another deployment
    await client.startSandbox(otherNamespace, config, { timeoutMs: 30_000 })
    const live = await w.executeCode('1')
    const [liveInfo] = await w.getSessions(live.sessionId)

    expect(await w.cleanupOrphanSandboxes()).toBe(0) // first seen now: within the grace period
    time.advance(301_000)
    expect(await w.cleanupOrphanSandboxes()).toBe(1)
    const running = new Map((await client.metrics()).map((m) => [m.name, m.running]))
    expect(running.get(orphan)).toBe(false)
    expect(running.get('made-by-hand')).toBe(true)
    expect(running.get('orph-lookalike-but-not-ours')).toBe(true)
    expect(running.get(otherDeployment)).toBe(true)
    expect(running.get(otherNamespace)).toBe(true)
    expect(running.get(liveInfo!.sandboxName)).toBe(true)
    for (const name of ['made-by-hand', 'orph-lookalike-but-not-ours', otherDeployment, otherNamespace]) await client.stopSandbox(name)
  })
})
