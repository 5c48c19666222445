/**
 * Session semantics (DESIGN section 4) against the real local server: reuse, mismatch, unknown
 * ids, stop, parallel creation and serialization.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient } from '../../src/index.ts'
import { startLocalServer } from '../helpers/local-server.ts'
import { caught, makeWrapper } from '../helpers/wrapper.ts'
import type { MicrosandboxWrapper } from '../../src/index.ts'

let server: Awaited<ReturnType<typeof startLocalServer>>
let wrapper: MicrosandboxWrapper

beforeAll(async () => {
  server = await startLocalServer({})
  wrapper = makeWrapper({ serverUrl: server.url, sandboxPrefix: 'sess' })
})
afterAll(async () => {
  await wrapper?.stop()
  await server?.stop()
})

describe('sessions', () => {
  it('reuse keeps the session count', async () => {
    const r = await wrapper.executeCode('a = 1')
    const count = (await wrapper.getResourceStats()).activeSessions
    await wrapper.executeCode('a += 1', { sessionId: r.sessionId })
    await wrapper.executeCommand('true', { sessionId: r.sessionId })
    expect((await wrapper.getResourceStats()).activeSessions).toBe(count)
    const [info] = await wrapper.getSessions(r.sessionId)
    expect(info).toMatchObject({ sessionId: r.sessionId, template: 'python', flavor: 'small', status: 'ready', namespace: 'default', serverUrl: server.url })
    expect(info!.sandboxName).toMatch(/^sess-/)
    expect(Date.parse(info!.expiresAt) - Date.parse(info!.lastAccessedAt)).toBe(1800 * 1000)
  })

  it('new sessions get unguessable ids', async () => {
    const r = await wrapper.executeCode('1')
    expect(r.sessionId).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('a different template or an explicitly different flavor is TEMPLATE_MISMATCH (409)', async () => {
    const r = await wrapper.executeCode('x = 1')
    const template = await caught(() => wrapper.executeCode('console.log(1)', { sessionId: r.sessionId, template: 'node' }))
    expect(template).toMatchObject({ code: 'TEMPLATE_MISMATCH', status: 409 })
    const flavor = await caught(() => wrapper.executeCode('1', { sessionId: r.sessionId, flavor: 'large' }))
    expect(flavor).toMatchObject({ code: 'TEMPLATE_MISMATCH', status: 409 })
    const same = await wrapper.executeCode('print(x)', { sessionId: r.sessionId, template: 'python', flavor: 'small' })
    expect(same.stdout).toBe('1')
  })

  it('an unknown id is created under that id', async () => {
    const r = await wrapper.executeCode('print("fresh")', { sessionId: 'my-own-id/with odd chars ✓' })
    expect(r).toMatchObject({ sessionId: 'my-own-id/with odd chars ✓', sessionCreated: true, sessionRecreated: false, stdout: 'fresh' })
  })

  it('an unknown id is SESSION_NOT_FOUND with onMissingSession "error"', async () => {
    const strict = makeWrapper({ serverUrl: server.url, sandboxPrefix: 'strict', onMissingSession: 'error' })
    const error = await caught(() => strict.executeCode('1', { sessionId: 'never-made' }))
    expect(error).toMatchObject({ code: 'SESSION_NOT_FOUND', status: 404 })
    const made = await strict.executeCode('1')
    expect((await strict.executeCode('2', { sessionId: made.sessionId })).sessionCreated).toBe(false)
  })

  it('stopSession is true for a live session and false otherwise; the sandbox stops', async () => {
    const r = await wrapper.executeCode('1')
    const [info] = await wrapper.getSessions(r.sessionId)
    expect(await wrapper.stopSession(r.sessionId)).toBe(true)
    expect(await wrapper.stopSession(r.sessionId)).toBe(false)
    expect(await wrapper.stopSession('no-such-session')).toBe(false)
    expect(await wrapper.getSessions(r.sessionId)).toEqual([])
    const client = createClient({ serverUrl: server.url, namespace: 'default' })
    const [metrics] = await client.metrics(info!.sandboxName)
    expect(metrics?.running).toBe(false)
  })

  it('5 parallel new sessions give 5 ids', async () => {
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => wrapper.executeCode(`print(${i})`)))
    expect(new Set(results.map((r) => r.sessionId)).size).toBe(5)
    expect(results.every((r) => r.sessionCreated)).toBe(true)
    expect(results.map((r) => r.stdout)).toEqual(['0', '1', '2', '3', '4'])
  })

  it('parallel calls on one id make one sandbox and run one after another', async () => {
    const code = 'try:\n    n += 1\nexcept NameError:\n    n = 1\nprint(n)'
    const results = await Promise.all(Array.from({ length: 5 }, () => wrapper.executeCode(code, { sessionId: 'shared-by-five' })))
    expect(results.filter((r) => r.sessionCreated)).toHaveLength(1)
    expect(results.map((r) => r.stdout).sort()).toEqual(['1', '2', '3', '4', '5'])
    expect(await wrapper.getSessions('shared-by-five')).toHaveLength(1)
  })
})
