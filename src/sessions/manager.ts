/**
 * The session manager: DESIGN section 4. Get-or-create by id, template/flavor checks, limits and
 * LRU eviction on creation, leases while executing, recreation of lost sandboxes, per-session
 * serialization within the isolate, placement across hosts.
 * @module
 */
import type { MicrosandboxClient } from '../client/types.ts'
import type { WrapperConfig } from '../config.ts'
import { createError, isSandboxError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import type { Hooks, Principal } from '../plugins.ts'
import type { Flavor } from '../types.ts'
import { toSessionInfo } from './info.ts'
import { isBusy, isLive } from './record.ts'
import { ensureCapacity } from './limits.ts'
import type { KeyedMutex } from './lock.ts'
import { deriveSandboxName } from './names.ts'
import type { Placement } from './placement.ts'
import { sandboxIsGone, startSandbox, stopSandboxQuietly } from './sandbox.ts'
import type { SessionStore } from './store.ts'
import type { EndedReason, SessionRecord } from './types.ts'
import { createWriteBehind } from './write-behind.ts'

/** Everything the manager works with, injected. */
export interface ManagerDeps {
  config: WrapperConfig
  store: SessionStore
  placement: Placement
  hooks: Hooks
  logger: Logger
  mutex: KeyedMutex
  now: () => number
  /** Keeps a background write alive (waitUntil on Workers); its failure is already handled. */
  track: (work: Promise<unknown>) => void
  /** Coalescing window of session writes (see write-behind.ts). */
  writeBehindMs?: number | undefined
}

/** What an execution asks of the manager. Template and flavor are canonical and explicit or absent. */
export interface SessionRequest {
  sessionId?: string | undefined
  template?: string | undefined
  flavor?: Flavor | undefined
  principal: Principal
  timeoutSec: number
}

/** The session an execution runs in. */
export interface SessionHandle {
  record: SessionRecord
  client: MicrosandboxClient
  created: boolean
  recreated: boolean
}

/** Margin added to an execution's timeout for its lease and its client deadline. */
export const DEADLINE_MARGIN_SEC = 10

/**
 * Creates the manager.
 * @example
 * const { value, handle } = await manager.withSession(req, (h) => h.client.runRepl(h.record.sandboxName, 'python', code, 30, opts))
 */
export function createSessionManager(deps: ManagerDeps) {
  const { config, store, placement, hooks, logger, mutex, now } = deps
  const leasePrefix = `${crypto.randomUUID()}-` // lease ids: unique per isolate, then a counter
  let leases = 0
  const wb = createWriteBehind({ store, logger, track: deps.track, delayMs: deps.writeBehindMs, ownLease: (id) => id.startsWith(leasePrefix) })
  const names = new Map<string, string>() // sessionId -> sandbox name, so the hot path never awaits a hash
  /** The mutex key of the limit check; never a sandbox name (those are [A-Za-z0-9_-]). */
  const CREATION = ':creation'

  function nameOf(sessionId: string): string | Promise<string> {
    const known = names.get(sessionId)
    if (known !== undefined) return known
    return deriveSandboxName(config.namespace, config.sandboxPrefix, sessionId).then((name) => {
      if (names.size >= 10_000) names.delete(names.keys().next().value!)
      names.set(sessionId, name)
      return name
    })
  }
  const info = (r: SessionRecord) => toSessionInfo(r, config.sessionTimeout, now())
  const isExpired = (r: SessionRecord, at: number) => at - r.lastAccessedAt > config.sessionTimeout * 1000

  /** Fires a session hook; the context is only built when someone listens. */
  function emitSession(name: 'session:created' | 'session:reused' | 'session:stopped' | 'session:expired' | 'session:evicted', record: SessionRecord, principal: Principal): Promise<void> | undefined {
    return hooks.has(name) ? hooks.emit(name, { session: info(record), principal }) : undefined
  }

  async function live(): Promise<SessionRecord[]> {
    await wb.flush()
    return (await store.list()).filter((r) => isLive(r) && r.namespace === config.namespace)
  }

  /** Ends a session: tombstone (or removal), sandbox stopped, hook fired. */
  async function end(record: SessionRecord, reason: EndedReason | 'stopped', principal: Principal): Promise<void> {
    await wb.end(record.sandboxName)
    if (reason === 'stopped') await store.remove(record.sandboxName)
    else await store.put({ ...record, leases: {}, endedReason: reason, endedAt: now() })
    await stopSandboxQuietly(record, placement, logger)
    await emitSession(reason === 'stopped' ? 'session:stopped' : reason === 'expired' ? 'session:expired' : 'session:evicted', record, principal)
  }

  async function create(id: string, name: string, template: string, flavor: Flavor, principal: Principal): Promise<SessionRecord> {
    // Limit check and the "creating" record are one step per isolate, so parallel creations count each other.
    const made = await mutex.run(CREATION, async (): Promise<SessionRecord> => {
      const others = (await live()).filter((r) => r.sandboxName !== name)
      const kept = await ensureCapacity(others, flavor, {
        maxSessions: config.maxConcurrentSessions,
        maxTotalMemoryMb: config.maxTotalMemoryMb,
        enableLruEviction: config.enableLruEviction,
        now: now(),
        inUse: (n) => mutex.isLocked(n),
        evict: async (victim) => {
          const fresh = await store.get(victim.sandboxName)
          if (!fresh || fresh.endedReason || fresh.lastAccessedAt !== victim.lastAccessedAt || mutex.isLocked(victim.sandboxName)) return false
          await end(fresh, 'evicted', fresh.owner)
          return true
        },
      })
      const counts = new Map<string, number>()
      for (const r of kept) counts.set(r.serverUrl, (counts.get(r.serverUrl) ?? 0) + 1)
      const serverUrl = await placement.choose(counts)
      const at = now()
      const record: SessionRecord = { v: 1, sessionId: id, namespace: config.namespace, owner: principal, template, flavor, sandboxName: name, serverUrl, status: 'creating', createdAt: at, lastAccessedAt: at, leases: {} }
      await store.put(record)
      return record
    })
    try {
      await startSandbox(made, config, placement)
    } catch (error) {
      await store.remove(name).catch(() => undefined)
      await stopSandboxQuietly(made, placement, logger)
      throw error
    }
    made.status = 'ready'
    return made
  }

  /**
   * The session of `req`: reused (synchronously when this isolate holds its newest state and no
   * hook listens, the warm path), recreated, or made.
   */
  function resolve(req: SessionRequest, id: string, name: string): SessionHandle | Promise<SessionHandle> {
    const queued = wb.latest(name)
    const reused = queued && reuse(req, id, queued)
    if (reused && !hooks.has('session:reused')) return reused
    return resolveSlow(req, id, name, queued)
  }

  /** A live session of `id` in `found`, checked for owner, template and flavor; undefined when expired or not one. */
  function reuse(req: SessionRequest, id: string, found: SessionRecord): SessionHandle | undefined {
    if (found.endedReason || found.sessionId !== id) return undefined
    if (found.owner !== req.principal) throw notFound(id)
    if ((req.template && req.template !== found.template) || (req.flavor && req.flavor !== found.flavor)) {
      throw createError('TEMPLATE_MISMATCH', `Session "${id}" is a ${found.template} session (${found.flavor}); it cannot run ${req.template ?? found.template} (${req.flavor ?? found.flavor})`, {
        details: { sessionId: id, sessionTemplate: found.template, sessionFlavor: found.flavor, requestedTemplate: req.template, requestedFlavor: req.flavor },
      })
    }
    if (isExpired(found, now()) && !isBusy(found, now())) return undefined
    return { record: found, client: placement.client(found.serverUrl), created: false, recreated: false }
  }

  async function resolveSlow(req: SessionRequest, id: string, name: string, queued: SessionRecord | undefined): Promise<SessionHandle> {
    const found = queued ?? await store.get(name)
    const idGiven = req.sessionId !== undefined
    if (found && !found.endedReason && found.sessionId === id) {
      const reused = reuse(req, id, found)
      if (reused) {
        const hooked = emitSession('session:reused', found, req.principal)
        if (hooked) await hooked
        return reused
      }
      await end(found, 'expired', req.principal)
      return recreate(req, id, name, found.template, found.flavor, 'expired')
    }
    if (found && found.endedReason && found.sessionId === id && found.owner === req.principal) {
      if (config.onMissingSession === 'error') throw notFound(id, found.endedReason)
      return recreate(req, id, name, req.template ?? found.template, req.flavor ?? found.flavor, found.endedReason)
    }
    if (idGiven && config.onMissingSession === 'error') throw notFound(id)
    const record = await create(id, name, req.template ?? 'python', req.flavor ?? config.defaultFlavor, req.principal)
    await emitSession('session:created', record, req.principal)
    return { record, client: placement.client(record.serverUrl), created: true, recreated: false }
  }

  async function recreate(req: SessionRequest, id: string, name: string, template: string, flavor: Flavor, reason: EndedReason): Promise<SessionHandle> {
    logger.info('session recreated: its sandbox was gone', { sessionId: id, reason })
    const record = await create(id, name, template, flavor, req.principal)
    await emitSession('session:created', record, req.principal)
    return { record, client: placement.client(record.serverUrl), created: false, recreated: true }
  }

  return {
    nameOf,
    live,
    end,
    info,
    /**
     * Runs `op` in the session of `req` (made if needed), holding its lock and a lease. When `op`
     * fails because the server lost the sandbox, the sandbox is restarted and `op` runs once more.
     */
    async withSession<T>(req: SessionRequest, op: (handle: SessionHandle) => Promise<T>): Promise<{ value: T; handle: SessionHandle }> {
      const id = req.sessionId ?? crypto.randomUUID()
      const known = nameOf(id)
      const name = typeof known === 'string' ? known : await known
      return mutex.run(name, async () => {
        const resolved = resolve(req, id, name)
        const handle = resolved instanceof Promise ? await resolved : resolved
        const { record } = handle
        const lease = `${leasePrefix}${++leases}`
        const mark = wb.mark()
        record.lastAccessedAt = now()
        record.leases[lease] = now() + (req.timeoutSec + DEADLINE_MARGIN_SEC) * 1000 // record is this call's own copy
        try {
          const running = op(handle)
          wb.write(record) // the lease, written while the request is in flight
          try {
            const value = await running
            placement.observe(record.serverUrl)
            return { value, handle }
          } catch (error) {
            placement.observe(record.serverUrl, error)
            if (!isSandboxError(error) || error.code !== 'BACKEND_ERROR') throw error
            if (!(await sandboxIsGone(record, placement))) {
              throw createError(error.code, error.message, { cause: error.cause, details: { ...error.details, sandboxRunning: true } })
            }
            logger.warn('the server lost the sandbox; restarting it once', { sessionId: id, sandboxName: name, serverUrl: record.serverUrl })
            await startSandbox(record, config, placement)
            handle.recreated = true
            return { value: await op(handle), handle }
          }
        } finally {
          delete record.leases[lease]
          record.lastAccessedAt = now()
          if (!wb.endedSince(name, mark)) wb.write(record)
        }
      })
    },
    /** Stops a session of `principal`; false when there is none. */
    async stop(sessionId: string, principal: Principal): Promise<boolean> {
      const name = await nameOf(sessionId)
      await wb.settle(name)
      const record = await store.get(name)
      if (!record || record.endedReason || record.sessionId !== sessionId || record.owner !== principal) return false
      await end(record, 'stopped', principal)
      return true
    },
    /** Waits for background writes. */
    flush: () => wb.flush(),
  }
}

/** The manager's type. */
export type SessionManager = ReturnType<typeof createSessionManager>

function notFound(sessionId: string, reason?: EndedReason) {
  const why = reason ? ` (it ${reason === 'expired' ? 'expired' : 'was evicted to make room'} and its state is gone)` : ''
  return createError('SESSION_NOT_FOUND', `Session "${sessionId}" does not exist${why}`, { details: { sessionId, ...(reason ? { reason } : {}) } })
}
