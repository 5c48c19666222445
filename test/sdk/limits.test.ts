/**
 * Limits and LRU eviction (DESIGN 4.5) against the real local server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLocalServer } from '../helpers/local-server.ts'
import { caught, makeWrapper } from '../helpers/wrapper.ts'

let server: Awaited<ReturnType<typeof startLocalServer>>
beforeAll(async () => {
  server = await startLocalServer({})
})
afterAll(async () => {
  await server?.stop()
})

describe('limits', () => {
  it('a 4th new session evicts the least recently used idle one; its next call says it was recreated', async () => {
    const w = makeWrapper({ serverUrl: server.url, maxConcurrentSessions: 3, sandboxPrefix: 'lru' })
    const a = await w.executeCode('v = "a"')
    const b = await w.executeCode('v = "b"')
    const c = await w.executeCode('v = "c"')
    await w.executeCode('print(v)', { sessionId: a.sessionId }) // a is now the most recent; b is the LRU
    const d = await w.executeCode('v = "d"')
    expect(d.sessionCreated).toBe(true)
    const live = (await w.getSessions()).map((s) => s.sessionId).sort()
    expect(live).toEqual([a.sessionId, c.sessionId, d.sessionId].sort())
    expect((await w.getResourceStats()).activeSessions).toBe(3)
    const again = await w.executeCode('print(v)', { sessionId: b.sessionId })
    expect(again).toMatchObject({ sessionRecreated: true, sessionCreated: false, success: false })
    expect(again.stderr).toContain("NameError")
    // Making room for b evicted c, the least recently used by then.
    expect((await w.getSessions()).map((s) => s.sessionId).sort()).toEqual([a.sessionId, b.sessionId, d.sessionId].sort())
  })

  it('never evicts an executing session, even the least recently used', async () => {
    const w = makeWrapper({ serverUrl: server.url, maxConcurrentSessions: 2, sandboxPrefix: 'busy' })
    const a = await w.executeCode('import time')
    const b = await w.executeCode('v = 1')
    const long = w.executeCode('time.sleep(3)\nprint("finished")', { sessionId: a.sessionId, timeout: 20 })
    await new Promise((r) => setTimeout(r, 500))
    const c = await w.executeCode('v = 2') // a is older but executing: b goes
    expect(c.sessionCreated).toBe(true)
    expect((await long).stdout).toBe('finished')
    expect((await w.getSessions()).map((s) => s.sessionId).sort()).toEqual([a.sessionId, c.sessionId].sort())
    expect((await w.executeCode('print(v)', { sessionId: b.sessionId })).sessionRecreated).toBe(true)
  })

  it('is RESOURCE_LIMIT when every other session is executing', async () => {
    const w = makeWrapper({ serverUrl: server.url, maxConcurrentSessions: 1, sandboxPrefix: 'full' })
    const a = await w.executeCode('import time')
    const long = w.executeCode('time.sleep(2)', { sessionId: a.sessionId, timeout: 20 })
    await new Promise((r) => setTimeout(r, 300))
    const error = await caught(() => w.executeCode('1'))
    expect(error).toMatchObject({ code: 'RESOURCE_LIMIT', status: 429 })
    await long
    expect((await w.getSessions()).map((s) => s.sessionId)).toEqual([a.sessionId])
  })

  it('with eviction off, the limit is RESOURCE_LIMIT; reuse still works at the limit', async () => {
    const w = makeWrapper({ serverUrl: server.url, maxConcurrentSessions: 2, enableLruEviction: false, sandboxPrefix: 'nolru' })
    const a = await w.executeCode('x = 1')
    await w.executeCode('x = 2')
    const error = await caught(() => w.executeCode('x = 3'))
    expect(error).toMatchObject({ code: 'RESOURCE_LIMIT', status: 429, retryable: true })
    expect((await w.executeCode('print(x)', { sessionId: a.sessionId })).stdout).toBe('1')
    expect((await w.getResourceStats()).activeSessions).toBe(2)
  })

  it('the memory limit counts flavors', async () => {
    const w = makeWrapper({ serverUrl: server.url, maxTotalMemoryMb: 3072, sandboxPrefix: 'mem' })
    const small = await w.executeCode('1', { flavor: 'small' })
    const medium = await w.executeCode('1', { flavor: 'medium' })
    expect(await w.getResourceStats()).toMatchObject({ activeSessions: 2, totalMemoryMb: 3072, totalCpus: 3, sessionsByFlavor: { small: 1, medium: 1, large: 0 } })
    const another = await w.executeCode('1', { flavor: 'small' }) // 4096 > 3072: the small LRU one goes
    expect((await w.getSessions()).map((s) => s.sessionId).sort()).toEqual([medium.sessionId, another.sessionId].sort())
    expect(small.sessionId).not.toBe(another.sessionId)
    const large = await caught(() => w.executeCode('1', { flavor: 'large' }))
    expect(large).toMatchObject({ code: 'RESOURCE_LIMIT' })
  })
})
