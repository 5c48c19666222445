/**
 * Write-behind of session records: bookkeeping writes (leases, last access) leave the request's
 * path. Each session's writes are coalesced: its newest state is stored `delayMs` after it first
 * changed (and again if it changed meanwhile), so the store lags by at most about `delayMs` and is
 * never starved, and a busy session costs one store write per window instead of two per call
 * (which also keeps within per-key write limits such as Workers KV's). Until a state has landed,
 * this isolate reads its own copy; reads that need the store (listing, stopping, ending) flush
 * first. A state is merged into the stored record, never blindly written: a session ended or
 * replaced meanwhile (here or in another isolate) is left alone, so no late write revives it,
 * and other isolates' leases are kept.
 * @module
 */
import { isSandboxError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import type { SessionStore } from './store.ts'
import type { SessionRecord } from './types.ts'

/** What the write-behind works with. */
export interface WriteBehindOptions {
  store: SessionStore
  logger: Logger
  /** Keeps a write alive past the response (Workers' `waitUntil`). */
  track: (work: Promise<unknown>) => void
  /** How long a session's changes are coalesced before they are stored (default 25 ms). */
  delayMs?: number | undefined
  /** True for lease ids made in this isolate (the others' are kept as stored). */
  ownLease: (id: string) => boolean
}

interface Slot {
  /** The newest state, not yet stored. */
  latest: SessionRecord
  /** The sequence number when `latest` was queued. */
  mark: number
  dirty: boolean
  /** Resolves when no state of this session is left to store. */
  loop: Promise<void>
  /** Ends the coalescing wait early. */
  wake: () => void
}

const copy = (r: SessionRecord): SessionRecord => ({ ...r, leases: { ...r.leases } })

/**
 * Creates the write-behind of one wrapper.
 * @example
 * const wb = createWriteBehind({ store, logger, track }); wb.write(record); await wb.flush()
 */
export function createWriteBehind({ store, logger, track, delayMs = 25, ownLease }: WriteBehindOptions) {
  const slots = new Map<string, Slot>()
  const ended = new Map<string, number>()
  let seq = 0
  const endedAfter = (name: string, mark: number) => (ended.get(name) ?? 0) > mark

  async function drain(name: string, slot: Slot): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delayMs)
      ;(timer as { unref?: () => void }).unref?.()
      slot.wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })
    while (slot.dirty) {
      slot.dirty = false
      if (endedAfter(name, slot.mark)) break
      try {
        const state = slot.latest
        const merged = merge(await store.get(name), state)
        if (merged) await store.put(merged)
      } catch (error) {
        logger.error('could not save a session; it may expire early', { sessionId: slot.latest.sessionId, error: isSandboxError(error) ? error.code : String(error) })
      }
    }
    if (slots.get(name) === slot) slots.delete(name)
  }

  /** Our state over the stored one, or undefined when the stored session is not the one we hold. */
  function merge(stored: SessionRecord | null, ours: SessionRecord): SessionRecord | undefined {
    if (!stored || stored.endedReason || stored.sessionId !== ours.sessionId || stored.createdAt !== ours.createdAt) return undefined
    const leases: Record<string, number> = {}
    for (const [id, until] of Object.entries(stored.leases)) if (!ownLease(id)) leases[id] = until
    for (const [id, until] of Object.entries(ours.leases)) if (ownLease(id)) leases[id] = until
    return { ...ours, leases, lastAccessedAt: Math.max(stored.lastAccessedAt, ours.lastAccessedAt) }
  }

  return {
    /** The current sequence number; compare with `endedSince` to learn whether a session ended meanwhile. */
    mark: () => seq,
    /** True when `name` was ended in this isolate after `mark`. */
    endedSince: endedAfter,
    /** The newest state queued but not yet stored, as a copy the caller may change. */
    latest(name: string): SessionRecord | undefined {
      const slot = slots.get(name)
      return slot && !endedAfter(name, slot.mark) ? copy(slot.latest) : undefined
    },
    /** Queues `record` as the session's newest state. */
    write(record: SessionRecord): void {
      const name = record.sandboxName
      const slot = slots.get(name)
      if (slot) {
        slot.latest = copy(record)
        slot.mark = seq
        slot.dirty = true
        return
      }
      const fresh: Slot = { latest: copy(record), mark: seq, dirty: true, loop: Promise.resolve(), wake: () => {} }
      slots.set(name, fresh)
      fresh.loop = drain(name, fresh)
      track(fresh.loop)
    },
    /** Marks `name` ended now: what is queued for it is dropped. Resolves when no write of it is in flight. */
    async end(name: string): Promise<void> {
      ended.set(name, ++seq)
      if (ended.size > 10_000) ended.delete(ended.keys().next().value!)
      const slot = slots.get(name)
      slot?.wake()
      await slot?.loop
    },
    /** Stores what is queued for `name` now; resolves when it has landed. */
    settle(name: string): Promise<void> | undefined {
      const slot = slots.get(name)
      slot?.wake()
      return slot?.loop
    },
    /** Stores everything queued now; resolves when it has landed. */
    async flush(): Promise<void> {
      while (slots.size > 0) {
        const all = [...slots.values()]
        for (const slot of all) slot.wake()
        await Promise.all(all.map((s) => s.loop))
      }
    },
  }
}

/** The write-behind's type. */
export type WriteBehind = ReturnType<typeof createWriteBehind>
