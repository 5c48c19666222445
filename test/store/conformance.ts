/**
 * The session store conformance suite: every unstorage driver we support runs it
 * (memory, fs, Redis in Node; Cloudflare KV inside workerd). No node:* imports here.
 * @module
 */
import type { Storage } from 'unstorage'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { activeLeases, createSessionStore, isBusy, isLive, isTombstone, type CorruptItem } from '../../src/sessions/store.ts'
import type { SessionRecord } from '../../src/sessions/types.ts'

/** What a driver's storage can do; a missing capability turns its cases into `it.skipIf`. */
export interface SessionStoreCapabilities {
  /** A key written is listed by the next `getKeys` (true for every driver we test locally). */
  listAfterWrite: boolean
}

/** Options of {@link testSessionStore}. */
export interface SessionStoreTestOptions {
  /** Makes the storage under test; called once, before the suite. */
  createStorage: () => Promise<Storage> | Storage
  /** Runs after the storage is disposed: stop servers, remove temp dirs. */
  cleanup?: () => Promise<void>
  capabilities?: Partial<SessionStoreCapabilities>
}

const T0 = 1_764_196_000_123

/** A full, valid session record; `overrides` replace fields. */
export function makeRecord(sandboxName: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    v: 1,
    sessionId: `id-of-${sandboxName}`,
    namespace: 'default',
    template: 'python',
    flavor: 'small',
    sandboxName,
    serverUrl: 'http://127.0.0.1:5555',
    status: 'ready',
    createdAt: T0,
    lastAccessedAt: T0 + 1500,
    leases: {},
    ...overrides,
  }
}

const byName = (a: SessionRecord, b: SessionRecord) => a.sandboxName.localeCompare(b.sandboxName)

const UNSAFE_NAMES = ['', '../etc', 'a/b', 'a:b', 'a\\b', '-lead', '_lead', 'a b', 'é', 'x'.repeat(64), 'msb-ok?x', 'msb-ok$']

/** One valid record and one corrupt item of each kind, written past the store. */
async function writeCorruptItems(storage: Storage): Promise<void> {
  await createSessionStore(storage).put(makeRecord('msb-good'))
  await storage.setItem('msbe:sessions:msb-text', 'not json {')
  await storage.setItem('msbe:sessions:msb-number', 42)
  await storage.setItem('msbe:sessions:msb-shape', { ...makeRecord('msb-shape'), v: 2, leases: [] })
  await storage.setItem('msbe:sessions:msb-moved', makeRecord('msb-elsewhere'))
  await storage.setItem('msbe:orphans:msb-when', 'yesterday')
  await storage.setItem('msbe:orphans:msb-seen', T0)
}

/**
 * Registers the conformance suite of the session store for one storage driver.
 * @example
 * testSessionStore('memory', { createStorage: () => createStorage() })
 */
export function testSessionStore(name: string, options: SessionStoreTestOptions): void {
  const caps: SessionStoreCapabilities = { listAfterWrite: true, ...options.capabilities }

  describe(`session store: ${name}`, () => {
    let storage: Storage | undefined
    const corrupt: CorruptItem[] = []
    const ctx = () => {
      if (!storage) throw new Error(`the ${name} storage was not created; see the beforeAll failure`)
      const store = createSessionStore(storage, { onCorrupt: (item) => corrupt.push(item) })
      return { storage, store }
    }

    beforeAll(async () => {
      storage = await options.createStorage()
    })
    afterAll(async () => {
      try {
        await storage?.dispose()
      } finally {
        await options.cleanup?.()
      }
    })
    beforeEach(async () => {
      corrupt.length = 0
      await storage?.clear()
    })

    it('reads an unknown session as null', async () => {
      const { store } = ctx()
      expect(await store.get('msb-unknown')).toBeNull()
      expect(await store.list()).toEqual([])
    })

    it('round-trips a record exactly: numbers, nested lease map, optional fields absent', async () => {
      const { store } = ctx()
      const record = makeRecord('msb-roundtrip', {
        createdAt: Number.MAX_SAFE_INTEGER,
        lastAccessedAt: 1_764_196_000_123.5,
        leases: { '3f1c1b2e-0c1d-4a5b-9f00-0123456789ab': T0 + 60_000, 'lease-2': T0 - 1 },
      })
      await store.put(record)
      const got = await store.get('msb-roundtrip')
      expect(got).toStrictEqual(record)
      expect(Object.keys(got ?? {}).sort()).toEqual(Object.keys(record).sort())
      expect(got && 'owner' in got).toBe(false)
    })

    it('drops optional fields set to undefined and keeps those set', async () => {
      const { store } = ctx()
      await store.put(makeRecord('msb-opt-a', { owner: undefined, endedReason: undefined }))
      await store.put(makeRecord('msb-opt-b', { owner: 'alice', status: 'creating', flavor: 'large', template: 'node' }))
      const a = await store.get('msb-opt-a')
      expect(a && ('owner' in a || 'endedReason' in a)).toBe(false)
      expect(await store.get('msb-opt-b')).toStrictEqual(
        makeRecord('msb-opt-b', { owner: 'alice', status: 'creating', flavor: 'large', template: 'node' }))
    })

    it('overwrites a record on put: the last write is what get and list return', async () => {
      const { store } = ctx()
      await store.put(makeRecord('msb-over', { lastAccessedAt: T0 + 1, leases: { a: T0 + 9 } }))
      await store.put(makeRecord('msb-over', { lastAccessedAt: T0 + 2 }))
      expect(await store.get('msb-over')).toStrictEqual(makeRecord('msb-over', { lastAccessedAt: T0 + 2 }))
      expect(await store.list()).toStrictEqual([makeRecord('msb-over', { lastAccessedAt: T0 + 2 })])
    })

    it('removes a record, and removing an absent one is a no-op', async () => {
      const { store } = ctx()
      await store.put(makeRecord('msb-gone'))
      await store.remove('msb-gone')
      await store.remove('msb-never-there')
      expect(await store.get('msb-gone')).toBeNull()
    })

    it.skipIf(!caps.listAfterWrite)('lists every record, tombstones included, and not removed ones', async () => {
      const { store } = ctx()
      const live = makeRecord('msb-live', { leases: { l1: T0 + 1000 } })
      const tomb = makeRecord('msb-tomb', { endedReason: 'expired', endedAt: T0 + 5000 })
      const evicted = makeRecord('msb-evicted', { endedReason: 'evicted', endedAt: T0 + 6000 })
      for (const r of [live, tomb, evicted, makeRecord('msb-removed')]) await store.put(r)
      await store.remove('msb-removed')
      expect((await store.list()).sort(byName)).toStrictEqual([evicted, live, tomb])
    })

    it.skipIf(!caps.listAfterWrite)('keeps concurrent puts of different records', async () => {
      const { store } = ctx()
      const records = Array.from({ length: 25 }, (_, i) => makeRecord(`msb-c${String(i).padStart(2, '0')}`, { lastAccessedAt: T0 + i }))
      await Promise.all(records.map((r) => store.put(r)))
      expect((await store.list()).sort(byName)).toStrictEqual(records)
      expect(await Promise.all(records.map((r) => store.get(r.sandboxName)))).toStrictEqual(records)
    })

    it('tells tombstones, live sessions and leases apart on records read back', async () => {
      const { store } = ctx()
      await store.put(makeRecord('msb-busy', { leases: { done: T0 - 1, running: T0 + 10_000, edge: T0 } }))
      await store.put(makeRecord('msb-dead', { endedReason: 'evicted', endedAt: T0 }))
      const busy = await store.get('msb-busy')
      const dead = await store.get('msb-dead')
      if (!busy || !dead) throw new Error('records were not read back')
      expect([isTombstone(busy), isLive(busy), isTombstone(dead), isLive(dead)]).toEqual([false, true, true, false])
      expect(activeLeases(busy, T0)).toEqual(['running'])
      expect([isBusy(busy, T0), isBusy(busy, T0 + 10_000), isBusy(dead, T0)]).toEqual([true, false, false])
    })

    it('keeps stores with different bases apart on reads and writes', async () => {
      const { storage } = ctx()
      const [a, b, c] = [createSessionStore(storage), createSessionStore(storage, { base: 'msbe2' }), createSessionStore(storage, { base: 'msbe:tenant' })]
      await a.put(makeRecord('msb-shared', { template: 'python' }))
      await b.put(makeRecord('msb-shared', { template: 'node' }))
      await b.markOrphanSeen('msb-orphan', T0)
      expect((await a.get('msb-shared'))?.template).toBe('python')
      expect((await b.get('msb-shared'))?.template).toBe('node')
      expect(await c.get('msb-shared')).toBeNull()
      expect([await a.getOrphanSeen('msb-orphan'), await b.getOrphanSeen('msb-orphan')]).toEqual([null, T0])
      await a.remove('msb-shared')
      expect((await b.get('msb-shared'))?.template).toBe('node')
    })

    it.skipIf(!caps.listAfterWrite)('lists only its own base, and ignores foreign and nested keys', async () => {
      const { storage } = ctx()
      const [a, b, c] = [createSessionStore(storage), createSessionStore(storage, { base: 'msbe2' }), createSessionStore(storage, { base: 'msbe:tenant' })]
      await a.put(makeRecord('msb-shared', { template: 'python' }))
      await b.put(makeRecord('msb-shared', { template: 'node' }))
      await b.markOrphanSeen('msb-orphan', T0)
      await storage.setItem('msbe:quota:alice', { used: 3 })
      await storage.setItem('msbe:sessions:msb-x:nested', makeRecord('msb-x'))
      expect((await a.list()).map((r) => r.template)).toEqual(['python'])
      expect((await b.list()).map((r) => r.template)).toEqual(['node'])
      expect(await c.list()).toEqual([])
      expect(await a.listOrphanSeen()).toEqual({})
      expect(await b.listOrphanSeen()).toEqual({ 'msb-orphan': T0 })
      expect(corrupt).toEqual([])
    })

    it('reads corrupt items as absent, reports them, and never throws', async () => {
      const { storage, store } = ctx()
      await writeCorruptItems(storage)
      for (const bad of ['msb-text', 'msb-number', 'msb-shape', 'msb-moved']) expect(await store.get(bad)).toBeNull()
      expect(await store.getOrphanSeen('msb-when')).toBeNull()
      expect(corrupt.map((c) => c.key)).toEqual(
        ['msbe:sessions:msb-text', 'msbe:sessions:msb-number', 'msbe:sessions:msb-shape', 'msbe:sessions:msb-moved', 'msbe:orphans:msb-when'])
      expect(corrupt[2]?.issues?.length).toBeGreaterThan(0)
      expect(await store.get('msb-good')).toStrictEqual(makeRecord('msb-good'))
      const throwing = createSessionStore(storage, { onCorrupt: () => { throw new Error('observer failed') } })
      expect(await throwing.get('msb-text')).toBeNull()
    })

    it.skipIf(!caps.listAfterWrite)('skips and reports corrupt items when listing', async () => {
      const { storage, store } = ctx()
      await writeCorruptItems(storage)
      expect(await store.list()).toStrictEqual([makeRecord('msb-good')])
      expect(await store.listOrphanSeen()).toEqual({ 'msb-seen': T0 })
      expect(corrupt.map((c) => c.key).sort()).toEqual(
        ['msbe:orphans:msb-when', 'msbe:sessions:msb-moved', 'msbe:sessions:msb-number', 'msbe:sessions:msb-shape', 'msbe:sessions:msb-text'])
    })

    it.skipIf(!caps.listAfterWrite)('tolerates items vanishing between listing and reading', async () => {
      const { storage } = ctx()
      await storage.setItem('msbe:orphans:msb-o1', T0)
      await storage.setItem('msbe:orphans:msb-o2', T0 + 1)
      for (const n of ['msb-v1', 'msb-v2', 'msb-v3']) await createSessionStore(storage).put(makeRecord(n))
      // A real race cannot be timed, so this storage deletes two items right after listing them.
      const racing: Storage = {
        ...storage,
        getKeys: async (base, opts) => {
          const keys = await storage.getKeys(base, opts)
          await storage.removeItem('msbe:sessions:msb-v2')
          await storage.removeItem('msbe:orphans:msb-o1')
          return keys
        },
      }
      const store = createSessionStore(racing, { onCorrupt: (item) => corrupt.push(item) })
      expect((await store.list()).map((r) => r.sandboxName).sort()).toEqual(['msb-v1', 'msb-v3'])
      expect(await store.listOrphanSeen()).toEqual({ 'msb-o2': T0 + 1 })
      expect(corrupt).toEqual([])
    })

    it('tracks when orphans were first seen', async () => {
      const { store } = ctx()
      expect(await store.getOrphanSeen('msb-orphan')).toBeNull()
      await store.markOrphanSeen('msb-orphan', T0)
      expect(await store.getOrphanSeen('msb-orphan')).toBe(T0)
      await store.markOrphanSeen('msb-orphan', T0 + 1)
      expect(await store.getOrphanSeen('msb-orphan')).toBe(T0 + 1)
      await store.clearOrphanSeen('msb-orphan')
      await store.clearOrphanSeen('msb-never-seen')
      expect(await store.getOrphanSeen('msb-orphan')).toBeNull()
      expect(await store.get('msb-orphan')).toBeNull()
    })

    it.skipIf(!caps.listAfterWrite)('lists orphan first-seen times apart from sessions', async () => {
      const { store } = ctx()
      await store.put(makeRecord('msb-session'))
      await store.markOrphanSeen('msb-orphan', T0)
      await store.markOrphanSeen('msb-other', T0 + 7)
      expect(await store.listOrphanSeen()).toEqual({ 'msb-orphan': T0, 'msb-other': T0 + 7 })
      await store.clearOrphanSeen('msb-orphan')
      expect(await store.listOrphanSeen()).toEqual({ 'msb-other': T0 + 7 })
      expect((await store.list()).map((r) => r.sandboxName)).toEqual(['msb-session'])
    })

    it('rejects unsafe sandbox names with VALIDATION_ERROR', async () => {
      const { store } = ctx()
      for (const name of UNSAFE_NAMES) {
        await expect(store.get(name)).rejects.toMatchObject({ code: 'VALIDATION_ERROR', status: 400 })
        await expect(store.put(makeRecord(name))).rejects.toMatchObject({ code: 'VALIDATION_ERROR' })
        await expect(store.remove(name)).rejects.toMatchObject({ code: 'VALIDATION_ERROR' })
        await expect(store.getOrphanSeen(name)).rejects.toMatchObject({ code: 'VALIDATION_ERROR' })
        await expect(store.markOrphanSeen(name, T0)).rejects.toMatchObject({ code: 'VALIDATION_ERROR' })
        await expect(store.clearOrphanSeen(name)).rejects.toMatchObject({ code: 'VALIDATION_ERROR' })
      }
      await expect(store.markOrphanSeen('msb-ok', Number.NaN)).rejects.toMatchObject({ code: 'VALIDATION_ERROR' })
      expect(await store.get('x'.repeat(63))).toBeNull()
    })

    it.skipIf(!caps.listAfterWrite)('writes nothing for a rejected name', async () => {
      const { storage, store } = ctx()
      for (const name of UNSAFE_NAMES) {
        await store.put(makeRecord(name)).catch(() => undefined)
        await store.markOrphanSeen(name, T0).catch(() => undefined)
      }
      expect(await storage.getKeys()).toEqual([])
    })

    it('rejects an invalid base with CONFIGURATION_ERROR', () => {
      const { storage } = ctx()
      for (const base of ['', 'a/b', '../x', 'a::b', ':a', 'a:']) {
        expect(() => createSessionStore(storage, { base })).toThrow(expect.objectContaining({ code: 'CONFIGURATION_ERROR' }))
      }
    })
  })
}
