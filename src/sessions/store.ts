/**
 * The session store on unstorage: one JSON item per session under `<base>:sessions:<sandboxName>`
 * and one number per orphan candidate under `<base>:orphans:<sandboxName>` (when it was first seen).
 * Items that fail validation read as absent and are reported through `onCorrupt`.
 * @module
 */
import type { Storage } from 'unstorage'
import * as v from 'valibot'
import { createError } from '../errors.ts'
import { isValidSandboxName } from './names.ts'
import { SessionRecordSchema } from './record.ts'
import type { SessionRecord } from './types.ts'

export { activeLeases, isBusy, isLive, isTombstone, SessionRecordSchema } from './record.ts'

/** A stored item that failed validation and was read as absent. */
export interface CorruptItem {
  /** The full storage key. */
  key: string
  /** The value as unstorage returned it. */
  value: unknown
  /** What is wrong, in words. */
  reason: string
  /** The valibot issues, when the schema rejected it. */
  issues?: v.BaseIssue<unknown>[]
}

/** Options of {@link createSessionStore}. */
export interface SessionStoreOptions {
  /** Key prefix of every item, `:`-separated segments of `[A-Za-z0-9_-]`. Default `msbe`. */
  base?: string | undefined
  /** Told about each corrupt item met; an error it throws is ignored so reads never fail on bad data. */
  onCorrupt?: ((item: CorruptItem) => void) | undefined
}

/** Session records and orphan first-seen times on one unstorage instance. */
export interface SessionStore {
  /** The key prefix in use. */
  readonly base: string
  get(sandboxName: string): Promise<SessionRecord | null>
  put(record: SessionRecord): Promise<void>
  remove(sandboxName: string): Promise<void>
  /** Every valid record, tombstones included, in no particular order. */
  list(): Promise<SessionRecord[]>
  getOrphanSeen(sandboxName: string): Promise<number | null>
  markOrphanSeen(sandboxName: string, at: number): Promise<void>
  clearOrphanSeen(sandboxName: string): Promise<void>
  /** Sandbox name -> epoch ms when the reaper first saw it without a live session. */
  listOrphanSeen(): Promise<Record<string, number>>
}

/** What a parse returns for a value that is present but not a valid record. */
const INVALID = Symbol('invalid')

const BASE_PATTERN = /^[A-Za-z0-9_-]+(?::[A-Za-z0-9_-]+)*$/

/**
 * Creates the session store over an unstorage instance (memory, fs, Redis, Cloudflare KV, ...).
 * @example
 * const store = createSessionStore(createStorage(), { base: 'msbe' })
 * await store.put(record); const same = await store.get(record.sandboxName)
 */
export function createSessionStore(storage: Storage, options: SessionStoreOptions = {}): SessionStore {
  const { base = 'msbe', onCorrupt } = options
  if (typeof base !== 'string' || !BASE_PATTERN.test(base)) {
    throw createError('CONFIGURATION_ERROR',
      `Invalid session store option "base" ${JSON.stringify(base)}: expected ":"-separated segments of [A-Za-z0-9_-]`,
      { details: { base } })
  }
  const sessions = `${base}:sessions:`
  const orphans = `${base}:orphans:`

  function report(item: CorruptItem): void {
    if (!onCorrupt) return
    try {
      onCorrupt(item)
    } catch {
      // The callback observes; its failure must not turn a read of bad data into a thrown error.
    }
  }

  function toRecord(key: string, name: string, value: unknown, final: boolean): SessionRecord | null | typeof INVALID {
    if (value === null || value === undefined) return null
    const result = v.safeParse(SessionRecordSchema, value)
    if (!result.success) {
      if (final) report({ key, value, reason: 'not a valid session record', issues: result.issues })
      return INVALID
    }
    if (result.output.sandboxName !== name) {
      if (final) report({ key, value, reason: `record names sandbox "${result.output.sandboxName}", not its key's` })
      return INVALID
    }
    return result.output
  }

  function toSeen(key: string, value: unknown): number | null {
    if (value === null || value === undefined) return null
    if (typeof value === 'number' && Number.isFinite(value)) return value
    report({ key, value, reason: 'orphan first-seen time is not a finite number' })
    return null
  }

  /** Valid names found under a key prefix; keys of other shapes are not ours and are skipped. */
  async function namesUnder(prefix: string): Promise<string[]> {
    const keys = await storage.getKeys(prefix)
    const names: string[] = []
    for (const key of keys) {
      const name = key.slice(prefix.length)
      if (key.startsWith(prefix) && isValidSandboxName(name)) names.push(name)
    }
    return names
  }

  /** Reads the items of `names` under `prefix`; an item gone since listing reads as null. */
  async function readAll(prefix: string, names: string[]): Promise<Array<{ key: string, name: string, value: unknown }>> {
    if (names.length === 0) return []
    const items = await storage.getItems(names.map((name) => prefix + name))
    return items.map((item) => ({ key: item.key, name: item.key.slice(prefix.length), value: item.value }))
  }

  /**
   * Parses a value read from the store; an invalid one is read again twice, 5 ms apart, before it
   * counts as corrupt, because some drivers (fs) expose a file while it is being rewritten.
   */
  async function settled(key: string, first: unknown, parse: (value: unknown, final: boolean) => SessionRecord | null | typeof INVALID): Promise<SessionRecord | null> {
    let value = first
    for (let attempt = 0; ; attempt++) {
      const final = attempt === 2
      const parsed = parse(value, final)
      if (parsed !== INVALID) return parsed
      if (final) return null
      await new Promise((resolve) => setTimeout(resolve, 5))
      value = await storage.getItem<unknown>(key)
    }
  }

  return {
    base,
    async get(sandboxName) {
      const key = sessions + checkName(sandboxName)
      return settled(key, await storage.getItem<unknown>(key), (value, final) => toRecord(key, sandboxName, value, final))
    },
    async put(record) {
      await storage.setItem(sessions + checkName(record.sandboxName), record)
    },
    async remove(sandboxName) {
      await storage.removeItem(sessions + checkName(sandboxName))
    },
    async list() {
      const records: SessionRecord[] = []
      for (const item of await readAll(sessions, await namesUnder(sessions))) {
        const record = await settled(item.key, item.value, (value, final) => toRecord(item.key, item.name, value, final))
        if (record) records.push(record)
      }
      return records
    },
    async getOrphanSeen(sandboxName) {
      const key = orphans + checkName(sandboxName)
      return toSeen(key, await storage.getItem<unknown>(key))
    },
    async markOrphanSeen(sandboxName, at) {
      if (!Number.isFinite(at)) {
        throw createError('VALIDATION_ERROR', `Orphan first-seen time must be a finite number of epoch ms, got ${String(at)}`, { details: { sandboxName, at } })
      }
      await storage.setItem(orphans + checkName(sandboxName), at)
    },
    async clearOrphanSeen(sandboxName) {
      await storage.removeItem(orphans + checkName(sandboxName))
    },
    async listOrphanSeen() {
      const seen: Record<string, number> = {}
      for (const item of await readAll(orphans, await namesUnder(orphans))) {
        const at = toSeen(item.key, item.value)
        if (at !== null) seen[item.name] = at
      }
      return seen
    },
  }
}

/** Returns `name` when it is a valid sandbox name (and so a safe key on every driver); else throws. */
function checkName(name: string): string {
  if (typeof name !== 'string' || !isValidSandboxName(name)) {
    throw createError('VALIDATION_ERROR',
      `Invalid sandbox name ${JSON.stringify(name)}: expected 1-63 characters of [A-Za-z0-9_-], starting with a letter or digit`,
      { details: { sandboxName: name } })
  }
  return name
}
