/**
 * The fields of the configuration: their env variable, expected format and valibot schema.
 * Schemas take a label (the field or the variable) so that messages name what the user set.
 * @module
 */
import * as v from 'valibot'
import { createError, type SandboxError } from '../errors.ts'
import { FLAVORS } from '../types.ts'
import { LOG_LEVELS, MAX_SECONDS, MISSING_SESSION_POLICIES, REPL_LANGUAGES } from './defaults.ts'

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

/** Shows a value the way the seed's messages do: strings in single quotes, the rest as JSON. */
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

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_-]*$/

/** An http(s) URL, trimmed, without trailing slashes; the seed's message otherwise. */
export const urlSchema = (label: string) => v.pipe(
  v.string((i) => `Invalid server URL format: ${show(i.input)}. Must start with http:// or https:// (${label})`),
  v.trim(),
  v.check((s) => /^https?:\/\//.test(s), (i) => `Invalid server URL format: ${String(i.input)}. Must start with http:// or https:// (${label})`),
  v.check(isParsableUrl, (i) => `${label} is not a valid URL: ${show(i.input)}`),
  v.transform((s) => s.replace(/\/+$/, '')),
)

function isParsableUrl(s: string): boolean {
  try {
    return new URL(s).host !== ''
  } catch {
    return false
  }
}

/** An integer of at least `min` seconds (or units) and at most MAX_SECONDS, with the seed's messages. */
export const intSchema = (label: string, min = 1, max = MAX_SECONDS) => v.pipe(
  v.number((i) => `${label} must be a valid integer, got ${show(i.input)}`),
  v.integer((i) => `${label} must be a valid integer, got ${show(i.input)}`),
  v.minValue(min, (i) => `${label} must be a ${min === 0 ? 'non-negative' : 'positive'} integer, got ${show(i.input)}`),
  v.maxValue(max, (i) => `${label} must be at most ${max}, got ${show(i.input)}`),
)

/** A positive finite number (fractions allowed), with the seed's messages. */
export const numberSchema = (label: string) => v.pipe(
  v.number((i) => `${label} must be a valid number, got ${show(i.input)}`),
  v.finite((i) => `${label} must be a valid number, got ${show(i.input)}`),
  v.gtValue(0, (i) => `${label} must be a positive number, got ${show(i.input)}`),
  v.maxValue(MAX_SECONDS, (i) => `${label} must be at most ${MAX_SECONDS}, got ${show(i.input)}`),
)

/** A boolean. */
export const booleanSchema = (label: string) =>
  v.boolean((i) => `${label} must be a valid boolean value (true/false, 1/0, yes/no, on/off, enabled/disabled), got ${show(i.input)}`)

/** A flavor name, case-insensitive, with the seed's message. */
export const flavorSchema = (label: string) => v.pipe(
  v.string((i) => `Invalid ${label} ${show(i.input)}. Valid options are: ${Object.keys(FLAVORS).join(', ')}`),
  v.trim(),
  v.toLowerCase(),
  v.picklist(Object.keys(FLAVORS) as Array<keyof typeof FLAVORS>,
    (i) => `Invalid ${label} ${show(i.input)}. Valid options are: ${Object.keys(FLAVORS).join(', ')}`),
)

/** A name following the server's rules: `[A-Za-z0-9][A-Za-z0-9_-]*`, 1 to `max` characters. */
export const nameSchema = (label: string, max: number) => v.pipe(
  v.string((i) => `${label} must be a string, got ${show(i.input)}`),
  v.trim(),
  v.nonEmpty(`${label} must not be empty`),
  v.maxLength(max, (i) => `${label} must be at most ${max} characters, got ${show(i.input)}`),
  v.regex(NAME_RE, (i) => `${label} may contain only letters, digits, '_' and '-', starting with a letter or digit, got ${show(i.input)}`),
)

/** One of a fixed list of words, case-insensitive. */
export const choiceSchema = <const T extends readonly string[]>(label: string, options: T) => v.pipe(
  v.string((i) => `${label} must be one of ${options.join(', ')}, got ${show(i.input)}`),
  v.trim(),
  v.toLowerCase(),
  v.picklist(options, (i) => `${label} must be one of ${options.join(', ')}, got ${show(i.input)}`),
)

/** The policy for unknown session ids. */
export const onMissingSessionSchema = (label: string) => choiceSchema(label, MISSING_SESSION_POLICIES)

/** A log level (`warning` is read as `warn`). */
export const logLevelSchema = (label: string) => v.pipe(
  v.string((i) => `${label} must be one of ${LOG_LEVELS.join(', ')}, got ${show(i.input)}`),
  v.trim(),
  v.toLowerCase(),
  v.transform((s) => (s === 'warning' ? 'warn' : s)),
  v.picklist(LOG_LEVELS, (i) => `${label} must be one of ${LOG_LEVELS.join(', ')}, got ${show(i.input)}`),
)

/** An API key: a non-empty string without whitespace or control characters. Never echoed. */
export const apiKeySchema = (label: string) => v.pipe(
  v.string(`${label} must be a string`),
  v.trim(),
  v.check((s) => !/[\s\x00-\x1f\x7f]/.test(s), `${label} must not contain whitespace or control characters`),
)

/** An OCI image reference: non-empty, no whitespace. */
export const imageSchema = (label: string) => v.pipe(
  v.string((i) => `${label} must be an image name such as 'microsandbox/python', got ${show(i.input)}`),
  v.trim(),
  v.nonEmpty(`${label} must not be empty`),
  v.check((s) => !/\s/.test(s), (i) => `${label} must not contain whitespace, got ${show(i.input)}`),
)

/** A REPL language the portal understands. */
export const languageSchema = (label: string) => choiceSchema(label, REPL_LANGUAGES)

/** A template name: 1-63 characters of the server's name alphabet (dots allowed), lower-cased. */
export const templateNameSchema = (label: string) => v.pipe(
  v.string(),
  v.trim(),
  v.toLowerCase(),
  v.regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/,
    (i) => `${label} template names must be 1-63 characters a-z 0-9 _ . -, starting with a letter or digit, got ${show(i.input)}`),
)

/** A plain object of string keys (not an array). */
export const recordSchema = (message: (issue: v.BaseIssue<unknown>) => string) => v.pipe(
  v.unknown(),
  v.check((o) => typeof o === 'object' && o !== null && !Array.isArray(o), message),
  v.record(v.string(), v.unknown(), message),
)

/** A template spec: image and REPL language. */
export const templateSpecSchema = (label: string) => v.object(
  { image: imageSchema(`${label}.image`), language: languageSchema(`${label}.language`) },
  (i) => (i.path?.length
    ? `${label}.${v.getDotPath(i) ?? ''} is required`
    : `${label} must be an object {"image": "...", "language": "..."}, got ${show(i.input)}`),
)

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
