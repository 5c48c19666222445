/**
 * Cleanup in one place, called by timers (Node, Bun) or cron triggers (Workers, Deno): the
 * expired-session sweep and the orphan reaper.
 * @module
 */
import type { WrapperConfig } from './config.ts'
import { isSandboxError } from './errors.ts'
import type { Logger } from './logger.ts'
import type { Hooks } from './plugins.ts'
import { isBusy, isTombstone } from './sessions/record.ts'
import type { KeyedMutex } from './sessions/lock.ts'
import type { SessionManager } from './sessions/manager.ts'
import { isOwnSandboxName } from './sessions/names.ts'
import type { Placement } from './sessions/placement.ts'
import type { SessionStore } from './sessions/store.ts'

/** How long a tombstone keeps an ended session's id known. */
export const TOMBSTONE_TTL_MS = 24 * 60 * 60 * 1000

/** What cleanup works with. */
export interface CleanupDeps {
  config: WrapperConfig
  store: SessionStore
  manager: SessionManager
  placement: Placement
  mutex: KeyedMutex
  hooks: Hooks
  logger: Logger
  now: () => number
}

/** Counts of one cleanup run. */
export interface CleanupReport {
  expiredSessions: number
  orphanSandboxes: number
}

/**
 * Ends sessions idle for longer than the session timeout (never one that is executing) and
 * forgets tombstones older than a day. Returns how many sessions expired.
 * @example
 * const n = await sweepExpiredSessions(deps)
 */
export async function sweepExpiredSessions(deps: CleanupDeps): Promise<number> {
  const { config, store, manager, mutex, now } = deps
  let expired = 0
  await manager.flush()
  for (const record of await store.list()) {
    if (record.namespace !== config.namespace) continue
    if (isTombstone(record)) {
      if (now() - (record.endedAt ?? 0) > TOMBSTONE_TTL_MS) await store.remove(record.sandboxName)
      continue
    }
    const idle = now() - record.lastAccessedAt > config.sessionTimeout * 1000
    if (!idle || isBusy(record, now()) || mutex.isLocked(record.sandboxName)) continue
    const fresh = await store.get(record.sandboxName)
    if (!fresh || fresh.endedReason || fresh.lastAccessedAt !== record.lastAccessedAt) continue
    await manager.end(fresh, 'expired', fresh.owner)
    expired += 1
  }
  return expired
}

/**
 * Stops sandboxes that carry this deployment's prefix, belong to no live session and were first
 * seen orphaned longer than the grace period ago. Never touches other sandboxes. Returns how many it stopped.
 * @example
 * const n = await reapOrphanSandboxes(deps)
 */
export async function reapOrphanSandboxes(deps: CleanupDeps): Promise<number> {
  const { config, store, placement, logger, now } = deps
  const live = await deps.manager.live()
  const owned = new Set(live.map((r) => r.sandboxName))
  const hosts = new Set([...placement.servers, ...live.map((r) => r.serverUrl)])
  const seen = await store.listOrphanSeen()
  const stillOrphaned = new Set<string>()
  let reaped = 0
  for (const host of hosts) {
    let running: string[]
    try {
      running = (await placement.client(host).metrics()).filter((m) => m.running).map((m) => m.name)
    } catch (error) {
      placement.observe(host, error)
      logger.warn('orphan reaper could not list sandboxes', { serverUrl: host, error: isSandboxError(error) ? error.code : 'INTERNAL_ERROR' })
      continue
    }
    for (const name of running) {
      if (!isOwnSandboxName(name, config.sandboxPrefix, config.namespace) || owned.has(name)) continue
      const firstSeen = seen[name] ?? now()
      if (seen[name] === undefined) await store.markOrphanSeen(name, firstSeen)
      if (now() - firstSeen < config.orphanGracePeriod * 1000) {
        stillOrphaned.add(name)
        continue
      }
      // A session may have been made since the listing: check once more before stopping.
      const record = await store.get(name)
      if (record && !record.endedReason) continue
      try {
        await placement.client(host).stopSandbox(name)
        reaped += 1
        logger.info('stopped an orphan sandbox', { sandboxName: name, serverUrl: host })
      } catch (error) {
        stillOrphaned.add(name)
        logger.warn('could not stop an orphan sandbox', { sandboxName: name, serverUrl: host, error: isSandboxError(error) ? error.code : 'INTERNAL_ERROR' })
      }
    }
  }
  for (const name of Object.keys(seen)) if (!stillOrphaned.has(name)) await store.clearOrphanSeen(name)
  return reaped
}

/**
 * Runs the sweep and the reaper, fires `cleanup:after` and returns the counts.
 * @example
 * const { expiredSessions, orphanSandboxes } = await runCleanup(deps)
 */
export async function runCleanup(deps: CleanupDeps, what: { expired?: boolean; orphans?: boolean } = {}): Promise<CleanupReport> {
  const started = deps.now()
  const expiredSessions = what.expired === false ? 0 : await sweepExpiredSessions(deps)
  const orphanSandboxes = what.orphans === false ? 0 : await reapOrphanSandboxes(deps)
  await deps.hooks.emit('cleanup:after', { expiredSessions, orphanSandboxes, durationMs: deps.now() - started })
  return { expiredSessions, orphanSandboxes }
}
