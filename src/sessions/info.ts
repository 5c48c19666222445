/**
 * Views of session records: the public `SessionInfo` and the `ResourceStats` of a set of sessions.
 * @module
 */
import { FLAVORS, type Flavor, type ResourceStats, type SessionInfo } from '../types.ts'
import { isBusy } from './record.ts'
import type { SessionRecord } from './types.ts'

/**
 * The public view of a record.
 * @example
 * const info = toSessionInfo(record, 1800, Date.now())
 */
export function toSessionInfo(record: SessionRecord, sessionTimeoutSec: number, now: number): SessionInfo {
  return {
    sessionId: record.sessionId,
    template: record.template,
    flavor: record.flavor,
    status: record.status === 'creating' ? 'creating' : isBusy(record, now) ? 'running' : 'ready',
    createdAt: new Date(record.createdAt).toISOString(),
    lastAccessedAt: new Date(record.lastAccessedAt).toISOString(),
    expiresAt: new Date(record.lastAccessedAt + sessionTimeoutSec * 1000).toISOString(),
    namespace: record.namespace,
    sandboxName: record.sandboxName,
    serverUrl: record.serverUrl,
  }
}

/**
 * Counts, memory and CPUs of live sessions, by flavor.
 * @example
 * const stats = computeStats(liveRecords, 10, 42)
 */
export function computeStats(live: SessionRecord[], maxSessions: number, uptimeSeconds: number): ResourceStats {
  const sessionsByFlavor: Record<Flavor, number> = { small: 0, medium: 0, large: 0 }
  let totalMemoryMb = 0
  let totalCpus = 0
  for (const r of live) {
    sessionsByFlavor[r.flavor] += 1
    totalMemoryMb += FLAVORS[r.flavor].memoryMb
    totalCpus += FLAVORS[r.flavor].cpus
  }
  return { activeSessions: live.length, maxSessions, sessionsByFlavor, totalMemoryMb, totalCpus, uptimeSeconds }
}
