/**
 * A session record's valibot schema, and pure predicates over records: tombstone or live,
 * leases in flight, busy.
 * @module
 */
import * as v from 'valibot'
import { FLAVORS, type Flavor } from '../types.ts'
import type { SessionRecord } from './types.ts'

/**
 * The stored form of a session, checked on every read from storage.
 * @example
 * const result = v.safeParse(SessionRecordSchema, await storage.getItem(key))
 */
export const SessionRecordSchema = v.object({
  v: v.literal(1),
  sessionId: v.string(),
  namespace: v.string(),
  owner: v.optional(v.string()),
  template: v.string(),
  flavor: v.picklist(Object.keys(FLAVORS) as Flavor[]),
  sandboxName: v.string(),
  serverUrl: v.string(),
  status: v.picklist(['creating', 'ready']),
  createdAt: v.number(),
  lastAccessedAt: v.number(),
  leases: v.record(v.string(), v.number()),
  endedReason: v.optional(v.picklist(['expired', 'evicted'])),
  endedAt: v.optional(v.number()),
}) satisfies v.GenericSchema<SessionRecord, SessionRecord>

/**
 * True when the record is a tombstone: the session ended and its sandbox is gone.
 * @example
 * if (isTombstone(record)) return { sessionRecreated: true }
 */
export function isTombstone(record: SessionRecord): boolean {
  return record.endedReason !== undefined
}

/**
 * True when the record is a session that has not ended (not a tombstone).
 * @example
 * const live = (await store.list()).filter(isLive)
 */
export function isLive(record: SessionRecord): boolean {
  return record.endedReason === undefined
}

/**
 * The ids of the leases that have not lapsed at `now` (epoch ms): executions in flight.
 * @example
 * activeLeases({ ...record, leases: { a: now + 1000, b: now - 1 } }, now) // ['a']
 */
export function activeLeases(record: SessionRecord, now: number): string[] {
  const ids: string[] = []
  for (const id in record.leases) {
    if (Object.hasOwn(record.leases, id) && (record.leases[id] ?? 0) > now) ids.push(id)
  }
  return ids
}

/**
 * True when an execution holds an unlapsed lease on the session at `now` (epoch ms).
 * @example
 * if (isBusy(record, Date.now())) skipEviction()
 */
export function isBusy(record: SessionRecord, now: number): boolean {
  for (const id in record.leases) {
    if (Object.hasOwn(record.leases, id) && (record.leases[id] ?? 0) > now) return true
  }
  return false
}
