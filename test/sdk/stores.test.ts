/**
 * The wrapper with sessions in real shared stores (fs, Redis): two wrappers over one store act
 * as two isolates of one deployment.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createStorage, type Storage } from 'unstorage'
import fsDriver from 'unstorage/drivers/fs'
import redisDriver from 'unstorage/drivers/redis'
import { startLocalServer } from '../helpers/local-server.ts'
import { startRedis, type RedisServer } from '../helpers/redis.ts'
import { makeWrapper } from '../helpers/wrapper.ts'

let server: Awaited<ReturnType<typeof startLocalServer>>
let redis: RedisServer
let dir: string
const storages: Storage[] = []

beforeAll(async () => {
  server = await startLocalServer({})
  redis = await startRedis()
  dir = await mkdtemp(join(tmpdir(), 'msbe-fs-store-'))
})
afterAll(async () => {
  await Promise.allSettled(storages.map((s) => s.dispose()))
  await redis?.stop()
  await server?.stop()
  await rm(dir, { recursive: true, force: true })
})

const drivers: Array<[string, () => Storage]> = [
  ['fs', () => createStorage({ driver: fsDriver({ base: dir }) })],
  ['redis', () => createStorage({ driver: redisDriver({ url: redis.url }) })],
]

describe.each(drivers)('sessions in %s', (name, make) => {
  it('two isolates over one store share sessions, limits and stops', async () => {
    const storeA = make()
    const storeB = make()
    storages.push(storeA, storeB)
    const a = makeWrapper({ serverUrl: server.url, storage: storeA, sandboxPrefix: `st${name}`, maxConcurrentSessions: 2 })
    const b = makeWrapper({ serverUrl: server.url, storage: storeB, sandboxPrefix: `st${name}`, maxConcurrentSessions: 2 })
    const made = await a.executeCode('x = 41')
    const used = await b.executeCode('x += 1\nprint(x)', { sessionId: made.sessionId })
    expect(used).toMatchObject({ stdout: '42', sessionCreated: false, sessionRecreated: false })
    expect((await b.getSessions()).map((s) => s.sessionId)).toEqual([made.sessionId])
    await b.executeCode('1')
    const third = await a.executeCode('1') // the limit of 2 is shared: the LRU session goes
    expect((await b.getSessions()).map((s) => s.sessionId)).not.toContain(made.sessionId)
    expect(await b.stopSession(third.sessionId)).toBe(true)
    expect((await a.getSessions()).map((s) => s.sessionId)).not.toContain(third.sessionId)
    await a.stop()
    await b.stop()
    // A shared store outlives the wrappers: the sessions do too, until they expire or are stopped.
    const storeC = make()
    storages.push(storeC)
    const c = makeWrapper({ serverUrl: server.url, storage: storeC, sandboxPrefix: `st${name}` })
    expect((await c.getSessions()).length).toBe(1)
    for (const s of await c.getSessions()) await c.stopSession(s.sessionId)
  })
})
