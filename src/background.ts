/**
 * Background tasks on runtimes with timers (Node, Bun, Deno): each task runs every N seconds
 * until paused or stopped. Runtimes without timers call the same tasks from cron triggers.
 * @module
 */
import type { Logger } from './logger.ts'
import type { ScheduledTask } from './plugins.ts'

/** The state of one task, as `getBackgroundTaskStatus()` reports it. */
export interface TaskStatus {
  name: string
  intervalSeconds: number
  scheduled: boolean
  running: boolean
  runs: number
  errors: number
  lastRunAt: string | null
  lastDurationMs: number | null
  lastError: string | null
}

/** What `getBackgroundTaskStatus()` returns. */
export interface BackgroundStatus {
  /** `running`: timers are set; `paused`: paused by the user; `stopped`: not started. */
  state: 'running' | 'paused' | 'stopped'
  tasks: TaskStatus[]
}

/**
 * Creates a scheduler; `start()` sets timers, `pause()` clears them, `resume()` sets them again.
 * @example
 * const bg = createScheduler(logger); bg.add({ name: 'cleanup', intervalSeconds: 60, run }); bg.start()
 */
export function createScheduler(logger: Logger) {
  const tasks: Array<{ task: ScheduledTask; status: TaskStatus; timer?: ReturnType<typeof setTimeout> | undefined }> = []
  let state: BackgroundStatus['state'] = 'stopped'

  async function runOnce(entry: (typeof tasks)[number]): Promise<void> {
    if (entry.status.running) return
    const started = Date.now()
    entry.status.running = true
    try {
      await entry.task.run()
      entry.status.lastError = null
    } catch (error) {
      entry.status.errors += 1
      entry.status.lastError = error instanceof Error ? error.message : String(error)
      logger.warn('a background task failed; it runs again at its next interval', { task: entry.task.name, error: entry.status.lastError })
    } finally {
      entry.status.running = false
      entry.status.runs += 1
      entry.status.lastRunAt = new Date(started).toISOString()
      entry.status.lastDurationMs = Date.now() - started
    }
  }
  function arm(entry: (typeof tasks)[number]): void {
    const timer = setTimeout(() => {
      void runOnce(entry).finally(() => {
        if (state === 'running' && entry.timer === timer) arm(entry)
      })
    }, entry.task.intervalSeconds * 1000)
    ;(timer as { unref?: () => void }).unref?.()
    entry.timer = timer
    entry.status.scheduled = true
  }
  function disarm(): void {
    for (const entry of tasks) {
      if (entry.timer !== undefined) clearTimeout(entry.timer)
      entry.timer = undefined
      entry.status.scheduled = false
    }
  }
  return {
    add(task: ScheduledTask): void {
      const status: TaskStatus = { name: task.name, intervalSeconds: task.intervalSeconds, scheduled: false, running: false, runs: 0, errors: 0, lastRunAt: null, lastDurationMs: null, lastError: null }
      const entry = { task, status }
      tasks.push(entry)
      if (state === 'running') arm(entry)
    },
    start(): void {
      if (state === 'running') return
      state = 'running'
      for (const entry of tasks) arm(entry)
    },
    pause(): string[] {
      if (state !== 'running') return []
      disarm()
      state = 'paused'
      return tasks.map((t) => t.task.name)
    },
    resume(): string[] {
      if (state !== 'paused') return []
      state = 'running'
      for (const entry of tasks) arm(entry)
      return tasks.map((t) => t.task.name)
    },
    stop(): void {
      disarm()
      state = 'stopped'
    },
    /** Runs every task once now (cron triggers). */
    async runAll(): Promise<void> {
      for (const entry of tasks) await runOnce(entry)
    },
    status(): BackgroundStatus {
      return { state, tasks: tasks.map((t) => ({ ...t.status })) }
    },
  }
}

/** The scheduler's type. */
export type Scheduler = ReturnType<typeof createScheduler>
