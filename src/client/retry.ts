/**
 * Exponential backoff with full jitter, bounded by the call's deadline.
 * @module
 */

/** Which failures a call may retry: `safe` (idempotent), `connect` (only when the request never left), `never`. */
export type RetryPolicy = 'safe' | 'connect' | 'never'

/** Attempts of a retried call, the first included. */
export const MAX_ATTEMPTS = 3
/** Base delay; attempt n waits a random time in [0, BASE_DELAY_MS * 2^(n-1)). */
export const BASE_DELAY_MS = 100
const MAX_DELAY_MS = 2000

/**
 * The delay before the next attempt, or undefined when no attempt is left or it would end past the deadline.
 * @example
 * const wait = backoffDelay(1, deadlineAt - Date.now())
 */
export function backoffDelay(attempt: number, remainingMs: number, random: () => number = Math.random): number | undefined {
  if (attempt >= MAX_ATTEMPTS) return undefined
  const delay = Math.floor(random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (attempt - 1)))
  return delay < remainingMs ? delay : undefined
}

/**
 * Waits `ms`, or less when the signal aborts (the caller then checks the signal).
 * @example
 * await sleep(120, signal)
 */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve()
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}
