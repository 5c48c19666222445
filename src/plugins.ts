/**
 * Plugins: `definePlugin({ name, setup(ctx) })` and the typed hook runner the wrapper fires.
 * `:before` hooks may throw to refuse a call; observer hooks that throw are logged and ignored.
 * @module
 */
import type { Storage } from 'unstorage'
import type { WrapperConfig } from './config.ts'
import type { SandboxError } from './errors.ts'
import type { Logger } from './logger.ts'
import type { CommandResult, ExecutionResult, Flavor, SessionInfo } from './types.ts'

/** Who made a call: the HTTP API key's name, or undefined for direct SDK use. */
export type Principal = string | undefined

/** Context of `session:*` hooks. */
export interface SessionHookContext {
  session: SessionInfo
  principal: Principal
}

/** Context of `execute:before`; `sessionId` is undefined when a new session will be made. */
export interface ExecuteBeforeContext {
  code: string
  template: string
  flavor: Flavor
  timeout: number
  sessionId: string | undefined
  principal: Principal
}

/** Context of `command:before`. */
export interface CommandBeforeContext {
  command: string
  args: string[]
  template: string
  flavor: Flavor
  timeout: number
  sessionId: string | undefined
  principal: Principal
}

/** Context of the `error` hook. */
export interface ErrorHookContext {
  operation: string
  error: SandboxError
  sessionId: string | undefined
  principal: Principal
}

/** Context of `cleanup:after`. */
export interface CleanupHookContext {
  expiredSessions: number
  orphanSandboxes: number
  durationMs: number
}

/** Every hook and the context it receives. */
export interface HookMap {
  'session:created': SessionHookContext
  'session:reused': SessionHookContext
  'session:stopped': SessionHookContext
  'session:expired': SessionHookContext
  'session:evicted': SessionHookContext
  'execute:before': ExecuteBeforeContext
  'execute:after': ExecuteBeforeContext & { result: ExecutionResult; durationMs: number }
  'command:before': CommandBeforeContext
  'command:after': CommandBeforeContext & { result: CommandResult; durationMs: number }
  error: ErrorHookContext
  'cleanup:after': CleanupHookContext
}

/** A hook name. */
export type HookName = keyof HookMap

/** A hook function. */
export type HookFn<N extends HookName> = (context: HookMap[N]) => void | Promise<void>

/** A task a plugin asks to run on a schedule (timers on Node and Bun, cron on Workers and Deno). */
export interface ScheduledTask {
  name: string
  /** Seconds between runs where timers exist. */
  intervalSeconds: number
  run(): Promise<void>
}

/** A Hono-compatible middleware, kept opaque so the core does not depend on the HTTP layer. */
export type PluginMiddleware = (c: never, next: () => Promise<void>) => Promise<unknown>

/** What `setup(ctx)` receives. */
export interface PluginContext {
  readonly config: WrapperConfig
  readonly storage: Storage
  readonly logger: Logger
  /** Registers a hook; returns its unregister function. */
  hook<N extends HookName>(name: N, fn: HookFn<N>): () => void
  /** Adds middleware to the HTTP app built with `createApp`. */
  use(middleware: PluginMiddleware): void
  /** Adds a scheduled task. */
  schedule(task: ScheduledTask): void
}

/** A plugin: a name and a setup function. */
export interface Plugin {
  name: string
  setup(ctx: PluginContext): void | Promise<void>
}

/**
 * Defines a plugin (an identity helper for type inference).
 * @example
 * const audit = definePlugin({ name: 'audit', setup(ctx) { ctx.hook('execute:after', (c) => ctx.logger.info('ran', { ms: c.durationMs })) } })
 */
export function definePlugin(plugin: Plugin): Plugin {
  return plugin
}

/** The hook registry and runner used by the wrapper. */
export interface Hooks {
  hook<N extends HookName>(name: N, fn: HookFn<N>): () => void
  /** True when at least one function is registered for `name` (lets callers skip building contexts). */
  has(name: HookName): boolean
  /** Runs `:before` hooks in order; the first throw refuses the call and propagates. */
  before<N extends 'execute:before' | 'command:before'>(name: N, context: HookMap[N]): Promise<void>
  /** Runs observer hooks; a throw is logged and never propagates. */
  emit<N extends HookName>(name: N, context: HookMap[N]): Promise<void>
}

/**
 * Creates a hook registry.
 * @example
 * const hooks = createHooks(logger); const off = hooks.hook('error', (c) => console.log(c.error.code)); off()
 */
export function createHooks(logger: Logger): Hooks {
  const table = new Map<HookName, Array<HookFn<never>>>()
  const fns = (name: HookName) => table.get(name) ?? []
  return {
    hook(name, fn) {
      const list = [...fns(name), fn as HookFn<never>]
      table.set(name, list)
      return function unregister() {
        table.set(name, fns(name).filter((f) => f !== fn))
      }
    },
    has: (name) => fns(name).length > 0,
    async before(name, context) {
      for (const fn of fns(name)) await (fn as HookFn<typeof name>)(context)
    },
    async emit(name, context) {
      for (const fn of fns(name)) {
        try {
          await (fn as HookFn<typeof name>)(context)
        } catch (error) {
          logger.warn('a plugin hook failed; the call goes on', { hook: name, error: error instanceof Error ? error.message : String(error) })
        }
      }
    },
  }
}
