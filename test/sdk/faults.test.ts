/**
 * Faults against real servers: a restarted server, a server that is down, the v0.2.6 dialect,
 * and placement over two servers.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { startLocalServer } from '../helpers/local-server.ts'
import { caught, makeWrapper } from '../helpers/wrapper.ts'

const servers: Array<Awaited<ReturnType<typeof startLocalServer>>> = []
async function server(options: Parameters<typeof startLocalServer>[0] = {}) {
  const s = await startLocalServer(options)
  servers.push(s)
  return s
}
afterAll(async () => {
  await Promise.allSettled(servers.map((s) => s.stop()))
})

describe('faults', () => {
  it('a server restarted between calls gives sessionRecreated: true, once', async () => {
    const s = await server()
    const w = makeWrapper({ serverUrl: s.url, sandboxPrefix: 'rst' })
    const first = await w.executeCode('x = 1')
    await s.restart()
    const second = await w.executeCode('print("after restart")', { sessionId: first.sessionId })
    expect(second).toMatchObject({ sessionRecreated: true, sessionCreated: false, stdout: 'after restart', success: true })
    const third = await w.executeCode('print(x)', { sessionId: first.sessionId })
    expect(third).toMatchObject({ sessionRecreated: false, success: false })
    const cmd = await w.executeCommand('true', { sessionId: first.sessionId })
    expect(cmd.sessionRecreated).toBe(false)
  })

  it('a server that is down gives BACKEND_UNAVAILABLE (not a timeout), and nothing is left behind', async () => {
    const s = await server()
    const w = makeWrapper({ serverUrl: s.url, sandboxPrefix: 'down', sandboxStartTimeout: 5 })
    const live = await w.executeCode('1')
    await s.stop()
    const reuse = await caught(() => w.executeCode('1', { sessionId: live.sessionId, timeout: 5 }))
    expect(reuse).toMatchObject({ code: 'BACKEND_UNAVAILABLE', status: 503, retryable: true })
    const fresh = await caught(() => w.executeCode('1', { timeout: 5 }))
    expect(fresh.code).toBe('BACKEND_UNAVAILABLE')
    expect((await w.getResourceStats()).activeSessions).toBe(1)
    expect((await w.health()).status).toBe('unavailable')
  })

  it('health really asks the server', async () => {
    const s = await server()
    const w = makeWrapper({ serverUrl: s.url })
    const report = await w.health()
    expect(report).toMatchObject({ status: 'ok', backend: { reachable: true } })
    expect(typeof report.backend.latencyMs).toBe('number')
  })

  it('works the same against the v0.2.6 dialect (namespace required)', async () => {
    const s = await server({ requireNamespace: true })
    const w = makeWrapper({ serverUrl: s.url, namespace: 'team-a', sandboxPrefix: 'v026' })
    const r = await w.executeCode('x = 5')
    expect((await w.executeCode('print(x)', { sessionId: r.sessionId })).stdout).toBe('5')
    expect((await w.executeCommand('echo', { args: ['hi'], sessionId: r.sessionId })).stdout).toBe('hi')
    expect((await w.getSessions())[0]).toMatchObject({ namespace: 'team-a' })
    expect(await w.stopSession(r.sessionId)).toBe(true)
    await s.restart()
    const again = await w.executeCode('1', { sessionId: 'restart-me' })
    await s.restart()
    expect((await w.executeCode('2', { sessionId: again.sessionId })).sessionRecreated).toBe(true)
  })
})

describe('placement over two servers', () => {
  it('spreads new sessions, keeps each on its host, and routes around a host that is down', async () => {
    const a = await server()
    const b = await server()
    const w = makeWrapper({ servers: [a.url, b.url], serverUrl: a.url, sandboxPrefix: 'place', sandboxStartTimeout: 5 })
    const made = []
    for (let i = 0; i < 4; i++) made.push(await w.executeCode(`x = ${i}`))
    const hostOf = async (id: string) => (await w.getSessions(id))[0]!.serverUrl
    const hosts = await Promise.all(made.map((r) => hostOf(r.sessionId)))
    expect(hosts.filter((h) => h === a.url)).toHaveLength(2)
    expect(hosts.filter((h) => h === b.url)).toHaveLength(2)
    for (const r of made) {
      const before = await hostOf(r.sessionId)
      await w.executeCode('x += 1', { sessionId: r.sessionId })
      expect(await hostOf(r.sessionId)).toBe(before)
    }
    await b.stop()
    const onB = made.filter((_r, i) => hosts[i] === b.url)
    for (const r of onB) expect((await caught(() => w.executeCode('1', { sessionId: r.sessionId, timeout: 5 }))).code).toBe('BACKEND_UNAVAILABLE')
    for (let i = 0; i < 3; i++) {
      const fresh = await w.executeCode('1')
      expect(await hostOf(fresh.sessionId)).toBe(a.url)
    }
    expect((await w.health()).status).toBe('degraded')
  })
})
