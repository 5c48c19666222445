/**
 * The persisted form of a session, one storage item per session.
 * @module
 */
import type { Flavor } from '../types.ts'

/** Why a session ended, kept on its tombstone. */
export type EndedReason = 'expired' | 'evicted'

/** One session as stored. Times are epoch milliseconds. */
export interface SessionRecord {
  /** Schema version of this record. */
  v: 1
  sessionId: string
  namespace: string
  /** The principal that made it (HTTP API key name); absent for direct SDK use. */
  owner?: string | undefined
  /** Canonical template name ("python", "node", or a configured one). */
  template: string
  flavor: Flavor
  sandboxName: string
  serverUrl: string
  status: 'creating' | 'ready'
  createdAt: number
  lastAccessedAt: number
  /** Executions in flight: lease id -> the time the lease lapses if never released. */
  leases: Record<string, number>
  /** Set on tombstones only: the session ended and its sandbox is gone. */
  endedReason?: EndedReason | undefined
  /** When the tombstone was written. */
  endedAt?: number | undefined
}
