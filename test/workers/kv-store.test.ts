import { env } from 'cloudflare:workers'
import { createStorage } from 'unstorage'
import kvDriver from 'unstorage/drivers/cloudflare-kv-binding'
import { describe, expect, it } from 'vitest'
import { createSessionStore } from '../../src/sessions/store.ts'
import { makeRecord, testSessionStore } from '../store/conformance.ts'

// The driver gets the binding object itself: workerd has no global named SESSIONS.
const kvStorage = () => createStorage({ driver: kvDriver({ binding: env.SESSIONS }) })

testSessionStore('cloudflare-kv-binding (workerd)', {
  createStorage: kvStorage,
  // Miniflare's KV lists a key as soon as it is written. Production KV may take up to 60 s to
  // list a new key, so a run against remote KV would set this to false.
  capabilities: { listAfterWrite: true },
})

describe('session store on KV inside workerd', () => {
  it('runs in workerd against a real KV namespace binding', () => {
    expect(navigator.userAgent).toBe('Cloudflare-Workers')
    expect(typeof env.SESSIONS.list).toBe('function')
  })

  it('stores a record as JSON text under <base>:sessions:<sandboxName> in the namespace', async () => {
    const storage = kvStorage()
    const store = createSessionStore(storage, { base: 'kvlayout' })
    const record = makeRecord('msb-layout', { leases: { l: 1 } })
    await store.put(record)
    await store.markOrphanSeen('msb-lost', 5)
    expect(JSON.parse(await env.SESSIONS.get('kvlayout:sessions:msb-layout') ?? 'null')).toStrictEqual(record)
    expect(await env.SESSIONS.get('kvlayout:orphans:msb-lost')).toBe('5')
    const listed = await env.SESSIONS.list({ prefix: 'kvlayout:' })
    expect(listed.keys.map((k) => k.name).sort()).toEqual(['kvlayout:orphans:msb-lost', 'kvlayout:sessions:msb-layout'])
    await storage.clear()
  })
})
