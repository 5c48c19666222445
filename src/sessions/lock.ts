/**
 * An in-isolate keyed mutex: serializes functions per key, first come first served.
 * @module
 */

/** A mutex per key; a key holds memory only while a function runs or waits on it. */
export interface KeyedMutex {
  /** Runs `fn` once every earlier `run` on the same key has settled; returns its result. */
  run<T>(key: string, fn: () => Promise<T> | T): Promise<T>
  /** True while a function runs on `key`. */
  isLocked(key: string): boolean
  /** How many keys are locked now. */
  readonly size: number
}

/**
 * Creates a keyed mutex. A function that throws releases the lock, and the next waiter runs.
 * @example
 * const mutex = createKeyedMutex()
 * await mutex.run(sessionId, () => execute(code))
 */
export function createKeyedMutex(): KeyedMutex {
  /** Locked keys -> the wake-up functions of their waiters, in arrival order. */
  const waiters = new Map<string, Array<() => void>>()

  async function run<T>(key: string, fn: () => Promise<T> | T): Promise<T> {
    const queue = waiters.get(key)
    if (queue) await new Promise<void>((resolve) => queue.push(resolve))
    else waiters.set(key, [])
    try {
      return await fn()
    } finally {
      release(key)
    }
  }

  /** Hands the lock to the next waiter, or frees the key when none waits. */
  function release(key: string): void {
    const queue = waiters.get(key)
    const next = queue?.shift()
    if (next) next()
    else waiters.delete(key)
  }

  return {
    run,
    isLocked: (key) => waiters.has(key),
    get size() {
      return waiters.size
    },
  }
}
