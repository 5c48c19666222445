/**
 * Every default of the configuration, in one place.
 * @module
 */
import type { TemplateSpec } from '../types.ts'

/** Default values of every optional `WrapperConfig` field (seconds and MiB, as the env). */
export const CONFIG_DEFAULTS = {
  serverUrl: 'http://127.0.0.1:5555',
  namespace: 'default',
  sessionTimeout: 1800,
  maxConcurrentSessions: 10,
  cleanupInterval: 60,
  orphanCleanupInterval: 600,
  orphanGracePeriod: 300,
  defaultFlavor: 'small',
  sandboxStartTimeout: 180,
  defaultExecutionTimeout: 300,
  enableLruEviction: true,
  onMissingSession: 'create',
  sandboxPrefix: 'msbe',
  logLevel: 'info',
} as const

/** The templates every deployment has; `MICROSANDBOX_PYTHON_IMAGE` replaces the python image. */
export const BUILTIN_TEMPLATES: Readonly<Record<string, TemplateSpec>> = Object.freeze({
  python: Object.freeze({ image: 'microsandbox/python', language: 'python' }),
  node: Object.freeze({ image: 'microsandbox/node', language: 'nodejs' }),
})

/** Other names of the built-in templates (alias -> template). */
export const BUILTIN_TEMPLATE_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  nodejs: 'node',
  javascript: 'node',
})

/** Defaults of the service-level variables the adapters read. */
export const SERVICE_DEFAULTS = {
  storage: 'memory',
  port: 8775,
  host: '127.0.0.1',
} as const

/** Longest interval or timeout in seconds that timers accept (2^31 - 1 ms). */
export const MAX_SECONDS = 2_147_483

/** Log levels, least severe first. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const

/** What to do with an unknown session id: create it under that id, or fail with SESSION_NOT_FOUND. */
export const MISSING_SESSION_POLICIES = ['create', 'error'] as const

/** REPL languages a Microsandbox portal understands (case-insensitive). */
export const REPL_LANGUAGES = ['python', 'nodejs', 'node', 'javascript'] as const
