import { describe, expect, it } from 'vitest'
import { createKeyedMutex } from '../../src/sessions/lock.ts'

/** A promise with its resolve function, to hold a function open until the test lets it go. */
function gate(): { promise: Promise<void>, open: () => void } {
  let open = () => {}
  const promise = new Promise<void>((resolve) => { open = resolve })
  return { promise, open }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0))

describe('createKeyedMutex', () => {
  it('runs one function at a time per key', async () => {
    const mutex = createKeyedMutex()
    let running = 0
    let peak = 0
    const work = async (i: number) => {
      running++
      peak = Math.max(peak, running)
      await tick()
      running--
      return i
    }
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => mutex.run('s1', () => work(i))))
    expect(results).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(peak).toBe(1)
  })

  it('lets different keys run at the same time', async () => {
    const mutex = createKeyedMutex()
    const a = gate()
    const order: string[] = []
    const first = mutex.run('a', async () => { order.push('a:start'); await a.promise; order.push('a:end') })
    const second = mutex.run('b', async () => { order.push('b') })
    await second
    expect(order).toEqual(['a:start', 'b'])
    expect([mutex.isLocked('a'), mutex.isLocked('b'), mutex.size]).toEqual([true, false, 1])
    a.open()
    await first
  })

  it('serves waiters first in, first out', async () => {
    const mutex = createKeyedMutex()
    const hold = gate()
    const order: number[] = []
    const first = mutex.run('k', () => hold.promise)
    const waiters = [1, 2, 3, 4, 5].map((i) => mutex.run('k', async () => { order.push(i) }))
    await tick()
    expect(order).toEqual([])
    hold.open()
    await Promise.all([first, ...waiters])
    expect(order).toEqual([1, 2, 3, 4, 5])
  })

  it('releases the lock when the function throws or rejects, and passes the error on', async () => {
    const mutex = createKeyedMutex()
    const failed = mutex.run('k', async () => { throw new Error('boom') })
    const thrown = mutex.run('k', () => { throw new Error('sync boom') })
    const after = mutex.run('k', async () => 'still runs')
    await expect(failed).rejects.toThrow('boom')
    await expect(thrown).rejects.toThrow('sync boom')
    expect(await after).toBe('still runs')
    expect(mutex.isLocked('k')).toBe(false)
  })

  it('keeps no entry for idle keys', async () => {
    const mutex = createKeyedMutex()
    const hold = gate()
    const runs = Array.from({ length: 100 }, (_, i) => mutex.run(`key-${i % 10}`, () => (i < 10 ? hold.promise : undefined)))
    expect(mutex.size).toBe(10)
    hold.open()
    await Promise.all(runs)
    expect(mutex.size).toBe(0)
    await mutex.run('x', async () => { throw new Error('x') }).catch(() => undefined)
    expect([mutex.size, mutex.isLocked('x'), mutex.isLocked('key-3')]).toEqual([0, false, false])
  })
})
