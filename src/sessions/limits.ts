/**
 * Limits on new sandboxes (`MSB_MAX_SESSIONS`, `MSB_MAX_TOTAL_MEMORY_MB`) and LRU eviction.
 * Checked only when a new sandbox is about to be made; never evicts the session being made,
 * one that is executing, or one locked in this isolate.
 * @module
 */
import { createError } from '../errors.ts'
import { FLAVORS, type Flavor } from '../types.ts'
import { isBusy } from './record.ts'
import type { SessionRecord } from './types.ts'

/** What the limit check needs from its caller. */
export interface CapacityContext {
  maxSessions: number
  maxTotalMemoryMb: number | undefined
  enableLruEviction: boolean
  now: number
  /** True when this isolate holds the session's lock (an execution is in progress here). */
  inUse: (sandboxName: string) => boolean
  /** Ends a session as evicted: writes its tombstone, stops its sandbox, fires the hook. Resolves false if it became busy. */
  evict: (record: SessionRecord) => Promise<boolean>
}

/**
 * Makes room for one new sandbox of `flavor` among `live` sessions (the target excluded), evicting
 * least recently used idle sessions when allowed; throws RESOURCE_LIMIT otherwise.
 * @example
 * await ensureCapacity(live, 'small', ctx)
 */
export async function ensureCapacity(live: SessionRecord[], flavor: Flavor, ctx: CapacityContext): Promise<SessionRecord[]> {
  const need = FLAVORS[flavor].memoryMb
  let sessions = live.length
  let memory = live.reduce((sum, r) => sum + FLAVORS[r.flavor].memoryMb, 0)
  const over = () => sessions + 1 > ctx.maxSessions || (ctx.maxTotalMemoryMb !== undefined && memory + need > ctx.maxTotalMemoryMb)
  if (!over()) return live
  if (need > (ctx.maxTotalMemoryMb ?? Infinity)) throw limitError('memory', memory, need, ctx, 'the flavor alone is larger than the limit')
  if (!ctx.enableLruEviction) throw limitError(sessions + 1 > ctx.maxSessions ? 'sessions' : 'memory', memory, need, ctx, 'LRU eviction is off')

  const remaining = new Set(live)
  const candidates = live
    .filter((r) => !isBusy(r, ctx.now) && !ctx.inUse(r.sandboxName) && r.status === 'ready')
    .sort((a, b) => a.lastAccessedAt - b.lastAccessedAt)
  for (const victim of candidates) {
    if (!over()) break
    if (!(await ctx.evict(victim))) continue
    remaining.delete(victim)
    sessions -= 1
    memory -= FLAVORS[victim.flavor].memoryMb
  }
  if (over()) throw limitError(sessions + 1 > ctx.maxSessions ? 'sessions' : 'memory', memory, need, ctx, 'every other session is executing or in use')
  return [...remaining]
}

function limitError(resource: 'sessions' | 'memory', memory: number, need: number, ctx: CapacityContext, why: string) {
  const message = resource === 'sessions'
    ? `Sessions limit reached: ${ctx.maxSessions} sessions are live and ${why}`
    : `Memory limit reached: ${memory + need} MiB would exceed ${ctx.maxTotalMemoryMb} MiB and ${why}`
  return createError('RESOURCE_LIMIT', message, {
    retryAfter: 5,
    details: resource === 'sessions'
      ? { resource, limit: ctx.maxSessions }
      : { resource, limitMb: ctx.maxTotalMemoryMb, requestedMb: need, usedMb: memory },
  })
}
