/**
 * The fields of the configuration: their env variable and expected format, and the
 * CONFIGURATION_ERROR that names them.
 * @module
 */
import * as v from 'valibot'
import { createError, type SandboxError } from '../errors.ts'

/** Env variable and expected format of every configurable field. */
export const FIELDS = {
  serverUrl: { env: 'MSB_SERVER_URL', expected: 'an http:// or https:// URL, e.g. http://127.0.0.1:5555' },
  apiKey: { env: 'MSB_API_KEY', expected: 'the API key of the sandbox server (msb_...), without spaces' },
  namespace: { env: 'MSB_NAMESPACE', expected: '1-63 characters A-Z a-z 0-9 _ -, starting with a letter or digit' },
  sessionTimeout: { env: 'MSB_SESSION_TIMEOUT', expected: 'a positive integer (seconds)' },
  maxConcurrentSessions: { env: 'MSB_MAX_SESSIONS', expected: 'a positive integer' },
  cleanupInterval: { env: 'MSB_CLEANUP_INTERVAL', expected: 'a positive integer (seconds), less than the session timeout' },
  orphanCleanupInterval: { env: 'MSB_ORPHAN_CLEANUP_INTERVAL', expected: 'a positive integer (seconds)' },
  orphanGracePeriod: { env: 'MSB_ORPHAN_GRACE_PERIOD', expected: 'a non-negative integer (seconds)' },
  defaultFlavor: { env: 'MSB_DEFAULT_FLAVOR', expected: 'one of small, medium, large' },
  sandboxStartTimeout: { env: 'MSB_SANDBOX_START_TIMEOUT', expected: 'a positive number (seconds, may be fractional)' },
  defaultExecutionTimeout: { env: 'MSB_EXECUTION_TIMEOUT', expected: 'a positive integer (seconds)' },
  maxTotalMemoryMb: { env: 'MSB_MAX_TOTAL_MEMORY_MB', expected: "a positive integer (MiB), at least the default flavor's memory" },
  sharedVolumeMappings: { env: 'MSB_SHARED_VOLUME_PATH', expected: "a JSON array or comma list of 'host_path:container_path[:ro|:rw]'" },
  enableLruEviction: { env: 'MSB_ENABLE_LRU_EVICTION', expected: 'a boolean: true/false, 1/0, yes/no, on/off, enabled/disabled' },
  servers: { env: 'MSB_SERVERS', expected: 'a comma list of http:// or https:// URLs' },
  templates: { env: 'MSB_TEMPLATES', expected: 'a JSON object of name -> {"image": "...", "language": "python" | "nodejs"}' },
  templateAliases: { env: undefined, expected: 'an object of alias -> template name' },
  onMissingSession: { env: 'MSB_ON_MISSING_SESSION', expected: 'create or error' },
  sandboxPrefix: { env: 'MSB_SANDBOX_PREFIX', expected: '1-20 characters A-Z a-z 0-9 _ -, starting with a letter or digit' },
  logLevel: { env: 'MSB_LOG_LEVEL', expected: 'one of debug, info, warn, error' },
} as const satisfies Record<string, { env: string | undefined; expected: string }>

/** A configurable field. */
export type ConfigField = keyof typeof FIELDS

/**
 * Shows a value the way the seed's messages do: strings in single quotes, the rest as JSON.
 * @example
 * show('x') // "'x'"; show(0) // '0'
 */
export function show(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`
  if (typeof value === 'number' || value === undefined) return String(value)
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

/**
 * Makes the CONFIGURATION_ERROR of a field: details name the field, its env variable, the value
 * (never for the API key) and the expected format.
 * @example
 * throw configError('namespace', 'namespace must not be empty', '')
 */
export function configError(
  field: ConfigField,
  message: string,
  value?: unknown,
  options: { expected?: string; variable?: string } = {},
): SandboxError {
  const info = FIELDS[field]
  const details: Record<string, unknown> = { field }
  const variable = options.variable ?? info.env
  if (variable) details.variable = variable
  if (field !== 'apiKey' && value !== undefined) details.value = value
  details.expected = options.expected ?? info.expected
  return createError('CONFIGURATION_ERROR', message, { details })
}

/**
 * Parses with a schema and throws the first issue as a CONFIGURATION_ERROR of `field`.
 * @example
 * const n = checkField('maxConcurrentSessions', intSchema('MSB_MAX_SESSIONS'), 10)
 */
export function checkField<S extends v.GenericSchema>(
  field: ConfigField,
  schema: S,
  value: unknown,
  variable?: string,
): v.InferOutput<S> {
  const result = v.safeParse(schema, value)
  if (result.success) return result.output
  throw configError(field, result.issues[0].message, value, variable === undefined ? {} : { variable })
}
