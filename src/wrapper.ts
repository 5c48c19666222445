/**
 * `MicrosandboxWrapper`: run code and commands in sandboxes with sessions that are created,
 * reused and cleaned up automatically, on any runtime.
 * @module
 */
import { createStorage, type Storage } from 'unstorage'
import { createScheduler, type BackgroundStatus } from './background.ts'
import { runCleanup, reapOrphanSandboxes, sweepExpiredSessions, type CleanupDeps, type CleanupReport } from './cleanup.ts'
import { createClient } from './client/index.ts'
import { configFromEnv, resolveConfig, type WrapperConfig, type WrapperConfigInput } from './config.ts'
import { createError, isSandboxError, toSandboxError, type SandboxError } from './errors.ts'
import { createConsoleLogger, type Logger } from './logger.ts'
import { createHooks, type Hooks, type Plugin, type PluginMiddleware, type Principal } from './plugins.ts'
import { codeFailed, joinStream, replTimedOut } from './results.ts'
import { computeStats } from './sessions/info.ts'
import { createKeyedMutex } from './sessions/lock.ts'
import { createSessionManager, DEADLINE_MARGIN_SEC, type SessionManager, type SessionRequest } from './sessions/manager.ts'
import { createPlacement, type Placement } from './sessions/placement.ts'
import { createSessionStore } from './sessions/store.ts'
import type { CommandResult, ExecutionResult, ResourceStats, SessionInfo, VolumeMapping } from './types.ts'
import { checkSource, ExecuteCodeOptionsSchema, ExecuteCommandOptionsSchema, parseInput, SessionIdSchema, type ExecuteCodeOptions, type ExecuteCommandOptions } from './validation.ts'
import { VERSION } from './version.ts'
import { resolveTemplate } from './templates.ts'

/** Options of `new MicrosandboxWrapper(...)`: the config fields plus injected capabilities. */
export interface WrapperOptions extends WrapperConfigInput {
  /** Where sessions live; an in-memory store by default (sessions then end with the wrapper). */
  storage?: Storage | undefined
  plugins?: Plugin[] | undefined
  fetch?: typeof fetch | undefined
  logger?: Logger | undefined
  /** The clock, in epoch milliseconds. */
  now?: (() => number) | undefined
  /** Keeps background work alive after a response (Workers' `ctx.waitUntil`). */
  waitUntil?: ((work: Promise<unknown>) => void) | undefined
  /**
   * How long a session's bookkeeping writes (last access, leases) are coalesced before they reach
   * the store, in ms (default 25). Reads in this isolate always see the newest state.
   */
  writeBehindMs?: number | undefined
}

/** What `health()` reports. */
export interface HealthReport {
  status: 'ok' | 'degraded' | 'unavailable'
  backend: { reachable: boolean; latencyMs: number | null; servers: Array<{ url: string; reachable: boolean; latencyMs: number | null; error?: string }> }
  version: string
}

/** Who is calling, for methods that list or stop sessions. */
export interface PrincipalOptions {
  principal?: string | undefined
}

/**
 * The high-level API.
 * @example
 * await using wrapper = new MicrosandboxWrapper({ serverUrl: 'http://127.0.0.1:5555' })
 * const r = await wrapper.executeCode('x = 42')
 * const s = await wrapper.executeCode('print(x)', { sessionId: r.sessionId })
 */
export class MicrosandboxWrapper {
  readonly config: WrapperConfig
  readonly storage: Storage
  readonly logger: Logger
  readonly hooks: Hooks
  /** Middleware plugins added for the HTTP app. */
  readonly middleware: PluginMiddleware[] = []
  readonly #manager: SessionManager
  readonly #placement: Placement
  readonly #cleanup: CleanupDeps
  readonly #scheduler
  readonly #ownsStorage: boolean
  readonly #now: () => number
  readonly #startedAt: number
  readonly #ready: Promise<void>
  #isReady = false
  #started = false

  /** Reads the configuration from an env object (`process.env`, Workers `env`, `Deno.env.toObject()`). */
  static fromEnv(env: Record<string, unknown>, overrides: WrapperOptions = {}): MicrosandboxWrapper {
    const strings: Record<string, string | undefined> = {}
    for (const [key, value] of Object.entries(env)) if (typeof value === 'string') strings[key] = value
    return new MicrosandboxWrapper({ ...configFromEnv(strings), ...overrides })
  }

  constructor(options: WrapperOptions = {}) {
    const { storage, plugins = [], fetch, logger, now = Date.now, waitUntil, writeBehindMs, ...configInput } = options
    if (writeBehindMs !== undefined && (!Number.isFinite(writeBehindMs) || writeBehindMs < 0 || writeBehindMs > 60_000)) {
      throw createError('CONFIGURATION_ERROR', '[microsandbox-edge] option "writeBehindMs" must be a number of milliseconds from 0 to 60000', { details: { field: 'writeBehindMs', value: writeBehindMs } })
    }
    this.config = resolveConfig(configInput)
    this.logger = logger ?? createConsoleLogger(this.config.logLevel)
    this.#ownsStorage = storage === undefined
    this.storage = storage ?? createStorage()
    this.#now = now
    this.#startedAt = now()
    this.hooks = createHooks(this.logger)
    const mutex = createKeyedMutex()
    const store = createSessionStore(this.storage, { onCorrupt: (item) => this.logger.warn('ignored a corrupt session item', { key: item.key, reason: item.reason }) })
    const { apiKey, namespace } = this.config
    this.#placement = createPlacement({
      servers: this.config.servers.length > 0 ? this.config.servers : [this.config.serverUrl],
      createClient: (serverUrl) => createClient({ serverUrl, apiKey, namespace, fetch }),
      now,
    })
    const track = (work: Promise<unknown>) => waitUntil?.(work)
    this.#manager = createSessionManager({ config: this.config, store, placement: this.#placement, hooks: this.hooks, logger: this.logger, mutex, now, track, writeBehindMs })
    this.#cleanup = { config: this.config, store, manager: this.#manager, placement: this.#placement, mutex, hooks: this.hooks, logger: this.logger, now }
    this.#scheduler = createScheduler(this.logger)
    this.#scheduler.add({ name: 'session-cleanup', intervalSeconds: this.config.cleanupInterval, run: async () => void (await runCleanup(this.#cleanup, { orphans: false })) })
    this.#scheduler.add({ name: 'orphan-cleanup', intervalSeconds: this.config.orphanCleanupInterval, run: async () => void (await runCleanup(this.#cleanup, { expired: false })) })
    this.#ready = this.#setup(plugins)
    this.#ready.then(() => { this.#isReady = true }, () => undefined)
  }

  async #setup(plugins: Plugin[]): Promise<void> {
    for (const plugin of plugins) {
      try {
        await plugin.setup({
          config: this.config,
          storage: this.storage,
          logger: this.logger,
          hook: (name, fn) => this.hooks.hook(name, fn),
          use: (middleware) => void this.middleware.push(middleware),
          schedule: (task) => this.#scheduler.add(task),
        })
      } catch (error) {
        throw createError('CONFIGURATION_ERROR', `Plugin "${plugin.name}" failed to set up: ${error instanceof Error ? error.message : String(error)}`, { cause: error, details: { plugin: plugin.name } })
      }
    }
  }

  /** Resolves once every plugin is set up; rejects with the plugin's CONFIGURATION_ERROR. */
  ready(): Promise<void> {
    return this.#ready
  }

  async #guard<T>(operation: string, sessionId: string | undefined, principal: Principal, fn: () => Promise<T>): Promise<T> {
    try {
      if (!this.#isReady) await this.#ready
      return await fn()
    } catch (thrown) {
      throw await this.#failed(operation, thrown, sessionId, principal)
    }
  }

  /** Turns anything thrown into a SandboxError and fires the `error` hook with it. */
  async #failed(operation: string, thrown: unknown, sessionId: string | undefined, principal: Principal): Promise<SandboxError> {
    const error = toSandboxError(thrown)
    if (!isSandboxError(thrown)) this.logger.error('unexpected failure', { operation, error: thrown instanceof Error ? thrown.message : String(thrown) })
    if (this.hooks.has('error')) await this.hooks.emit('error', { operation, error, sessionId, principal })
    return error
  }

  /**
   * Runs code in a session's REPL (state kept across calls of one session).
   * @example
   * const r = await wrapper.executeCode('print(1 + 1)', { template: 'python', timeout: 30 })
   */
  async executeCode(code: string, options: ExecuteCodeOptions = {}): Promise<ExecutionResult> {
    try {
      if (!this.#isReady) await this.#ready
      const source = checkSource(code, 'code')
      const opts = parseInput(ExecuteCodeOptionsSchema, options ?? {}, 'options')
      const template = opts.template === undefined ? undefined : resolveTemplate(opts.template, this.config)
      const timeout = opts.timeout ?? this.config.defaultExecutionTimeout
      const hooked = this.hooks.has('execute:before') || this.hooks.has('execute:after')
      const before = hooked ? { code: source, template: template ?? 'python', flavor: opts.flavor ?? this.config.defaultFlavor, timeout, sessionId: opts.sessionId, principal: opts.principal } : undefined
      if (before && this.hooks.has('execute:before')) await this.hooks.before('execute:before', before)
      const started = this.#now()
      const req: SessionRequest = { sessionId: opts.sessionId, template, flavor: opts.flavor, principal: opts.principal, timeoutSec: timeout }
      let execStarted = started
      const { value, handle } = await this.#manager.withSession(req, (h) => {
        execStarted = this.#now()
        const language = this.config.templates[h.record.template]!.language
        return h.client.runRepl(h.record.sandboxName, language, source, timeout, { timeoutMs: (timeout + DEADLINE_MARGIN_SEC) * 1000, signal: opts.signal })
      })
      const language = this.config.templates[handle.record.template]!.language
      const { output } = value
      const result: ExecutionResult = {
        sessionId: handle.record.sessionId,
        output,
        stdout: joinStream(output, 'stdout'),
        stderr: joinStream(output, 'stderr'),
        success: !codeFailed(output, language),
        timedOut: replTimedOut(output),
        executionTimeMs: Math.max(0, this.#now() - execStarted),
        sessionCreated: handle.created,
        sessionRecreated: handle.recreated,
        template: handle.record.template,
      }
      if (before && this.hooks.has('execute:after')) {
        await this.hooks.emit('execute:after', { ...before, template: result.template, sessionId: result.sessionId, result, durationMs: this.#now() - started })
      }
      return result
    } catch (thrown) {
      throw await this.#failed('executeCode', thrown, typeof options?.sessionId === 'string' ? options.sessionId : undefined, options?.principal)
    }
  }

  /**
   * Runs a program (no shell) in a session's sandbox; a non-zero exit is a normal result.
   * @example
   * const c = await wrapper.executeCommand('ls', { args: ['-la'], sessionId })
   */
  async executeCommand(command: string, options: ExecuteCommandOptions = {}): Promise<CommandResult> {
    try {
      if (!this.#isReady) await this.#ready
      const cmd = checkSource(command, 'command')
      const opts = parseInput(ExecuteCommandOptionsSchema, options ?? {}, 'options')
      const args = opts.args ?? []
      const template = opts.template === undefined ? undefined : resolveTemplate(opts.template, this.config)
      const timeout = opts.timeout ?? this.config.defaultExecutionTimeout
      const hooked = this.hooks.has('command:before') || this.hooks.has('command:after')
      const before = hooked ? { command: cmd, args, template: template ?? 'python', flavor: opts.flavor ?? this.config.defaultFlavor, timeout, sessionId: opts.sessionId, principal: opts.principal } : undefined
      if (before && this.hooks.has('command:before')) await this.hooks.before('command:before', before)
      const started = this.#now()
      const req: SessionRequest = { sessionId: opts.sessionId, template, flavor: opts.flavor, principal: opts.principal, timeoutSec: timeout }
      let execStarted = started
      const { value, handle } = await this.#manager.withSession(req, (h) => {
        execStarted = this.#now()
        return h.client.runCommand(h.record.sandboxName, cmd, args, timeout, { timeoutMs: (timeout + DEADLINE_MARGIN_SEC) * 1000, signal: opts.signal })
      }).catch((error: unknown) => {
        throw commandError(error, cmd)
      })
      const { output } = value
      const result: CommandResult = {
        sessionId: handle.record.sessionId,
        output,
        stdout: joinStream(output, 'stdout'),
        stderr: joinStream(output, 'stderr'),
        success: value.exitCode === 0 && !value.timedOut,
        timedOut: value.timedOut,
        executionTimeMs: Math.max(0, this.#now() - execStarted),
        sessionCreated: handle.created,
        sessionRecreated: handle.recreated,
        exitCode: value.exitCode,
        command: cmd,
        args,
      }
      if (before && this.hooks.has('command:after')) {
        await this.hooks.emit('command:after', { ...before, template: handle.record.template, sessionId: result.sessionId, result, durationMs: this.#now() - started })
      }
      return result
    } catch (thrown) {
      throw await this.#failed('executeCommand', thrown, typeof options?.sessionId === 'string' ? options.sessionId : undefined, options?.principal)
    }
  }

  /**
   * Lists live sessions (of the principal, when given), or the one with `sessionId`.
   * @example
   * const [info] = await wrapper.getSessions(sessionId)
   */
  getSessions(sessionId?: string, options: PrincipalOptions = {}): Promise<SessionInfo[]> {
    return this.#guard('getSessions', sessionId, options.principal, async () => {
      if (sessionId !== undefined) parseInput(SessionIdSchema, sessionId, 'sessionId')
      const records = await this.#manager.live()
      return records
        .filter((r) => r.owner === options.principal && (sessionId === undefined || r.sessionId === sessionId))
        .sort((a, b) => a.createdAt - b.createdAt)
        .map((r) => this.#manager.info(r))
    })
  }

  /**
   * Stops a session and its sandbox; false when it does not exist (or belongs to someone else).
   * @example
   * await wrapper.stopSession(sessionId) // true
   */
  stopSession(sessionId: string, options: PrincipalOptions = {}): Promise<boolean> {
    return this.#guard('stopSession', sessionId, options.principal, async () => {
      parseInput(SessionIdSchema, sessionId, 'sessionId')
      return this.#manager.stop(sessionId, options.principal)
    })
  }

  /**
   * The shared volume mappings attached to every sandbox.
   * @example
   * const mappings = await wrapper.getVolumeMappings() // [{ hostPath, containerPath, readOnly }]
   */
  async getVolumeMappings(): Promise<VolumeMapping[]> {
    return this.config.volumeMappings.map((m) => ({ ...m }))
  }

  /**
   * Live sessions, memory and CPUs by flavor, from the session store.
   * @example
   * const { activeSessions, maxSessions } = await wrapper.getResourceStats()
   */
  getResourceStats(): Promise<ResourceStats> {
    return this.#guard('getResourceStats', undefined, undefined, async () =>
      computeStats(await this.#manager.live(), this.config.maxConcurrentSessions, Math.floor((this.#now() - this.#startedAt) / 1000)),
    )
  }

  /**
   * Stops this deployment's sandboxes that no live session owns (after the grace period); returns how many.
   * @example
   * const stopped = await wrapper.cleanupOrphanSandboxes()
   */
  cleanupOrphanSandboxes(): Promise<number> {
    return this.#guard('cleanupOrphanSandboxes', undefined, undefined, () => reapOrphanSandboxes(this.#cleanup))
  }

  /**
   * Ends sessions idle for longer than the session timeout; returns how many.
   * @example
   * const expired = await wrapper.cleanupExpiredSessions()
   */
  cleanupExpiredSessions(): Promise<number> {
    return this.#guard('cleanupExpiredSessions', undefined, undefined, () => sweepExpiredSessions(this.#cleanup))
  }

  /**
   * Both cleanups and every plugin task, once: what a cron trigger calls. Fires `cleanup:after`.
   * @example
   * export default { scheduled: (_e, env, ctx) => ctx.waitUntil(wrapper.runScheduled()) }
   */
  runScheduled(): Promise<CleanupReport> {
    return this.#guard('runScheduled', undefined, undefined, async () => {
      const report = await runCleanup(this.#cleanup)
      await this.#scheduler.runAll().catch(() => undefined)
      return report
    })
  }

  /**
   * Asks every server whether it is up (`GET /api/v1/health`).
   * @example
   * const { status } = await wrapper.health() // 'ok'
   */
  async health(): Promise<HealthReport> {
    const servers = await Promise.all(
      this.#placement.servers.map(async (url) => {
        try {
          const { latencyMs } = await this.#placement.client(url).health({ timeoutMs: 5000 })
          this.#placement.observe(url)
          return { url, reachable: true, latencyMs }
        } catch (error) {
          this.#placement.observe(url, error)
          return { url, reachable: false, latencyMs: null, error: toSandboxError(error).message }
        }
      }),
    )
    const up = servers.filter((s) => s.reachable)
    return {
      status: up.length === servers.length ? 'ok' : up.length > 0 ? 'degraded' : 'unavailable',
      backend: { reachable: up.length > 0, latencyMs: up[0]?.latencyMs ?? null, servers },
      version: VERSION,
    }
  }

  /**
   * Sets up plugins and starts the background cleanup timers (runtimes with timers).
   * @example
   * await wrapper.start()
   */
  async start(): Promise<void> {
    await this.#ready
    if (this.#started) return
    this.#started = true
    this.#scheduler.start()
  }

  /**
   * Stops the timers and waits for pending writes; with the default in-memory store it also stops
   * every session's sandbox, since nobody could reach them afterwards.
   * @example
   * await wrapper.stop()
   */
  async stop(): Promise<void> {
    this.#scheduler.stop()
    this.#started = false
    await this.#manager.flush()
    if (!this.#ownsStorage) return
    const live = await this.#manager.live()
    await Promise.all(live.map((r) => this.#manager.end(r, 'stopped', r.owner)))
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop()
  }

  /** Pauses the background timers. */
  async pauseBackgroundTasks(): Promise<{ status: 'success' | 'no_tasks_to_pause'; tasksPaused: string[] }> {
    const tasksPaused = this.#scheduler.pause()
    return { status: tasksPaused.length > 0 ? 'success' : 'no_tasks_to_pause', tasksPaused }
  }

  /** Resumes paused background timers. */
  async resumeBackgroundTasks(): Promise<{ status: 'success' | 'no_tasks_to_resume'; tasksResumed: string[] }> {
    const tasksResumed = this.#scheduler.resume()
    return { status: tasksResumed.length > 0 ? 'success' : 'no_tasks_to_resume', tasksResumed }
  }

  /** The state of the background tasks: running, paused or stopped, and each task's counters. */
  async getBackgroundTaskStatus(): Promise<BackgroundStatus & { wrapperStarted: boolean }> {
    return { wrapperStarted: this.#started, ...this.#scheduler.status() }
  }
}

/** An opaque server failure of a command in a running sandbox means it could not be started. */
function commandError(error: unknown, command: string): unknown {
  if (!isSandboxError(error) || error.code !== 'BACKEND_ERROR' || error.details?.sandboxRunning !== true) return error
  if (error.details.httpStatus !== 500) return error
  return createError('COMMAND_NOT_FOUND', `The server could not start the command "${command}" (it may not exist in the sandbox)`, { cause: error, details: { command, ...error.details } })
}
