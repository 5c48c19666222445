/**
 * `configFromEnv`: reads the env contract (DESIGN section 6) with the seed's parsers and messages.
 * Unset or blank variables are left out, so `resolveConfig` applies the defaults.
 * @module
 */
import * as v from 'valibot'
import type { TemplateSpec } from '../types.ts'
import { checkField, configError, type ConfigField } from './fields.ts'
import {
  apiKeySchema, flavorSchema, imageSchema, logLevelSchema, nameSchema, numberSchema, onMissingSessionSchema, recordSchema,
  urlSchema,
} from './schemas.ts'
import { MAX_SECONDS } from './defaults.ts'
import { resolveTemplates } from './resolve.ts'
import type { WrapperConfigInput } from './types.ts'
import { splitVolumeMappings } from './volumes.ts'

/** An env object: `process.env`, a Workers `env`, `Deno.env.toObject()`. */
export type EnvRecord = Record<string, string | undefined>

const TRUE = new Set(['true', '1', 'yes', 'on', 'enabled'])
const FALSE = new Set(['false', '0', 'no', 'off', 'disabled'])

/**
 * The value of a variable, or undefined when unset or blank.
 * @example
 * envValue({ PORT: ' ' }, 'PORT') // undefined
 */
export function envValue(env: EnvRecord, name: string): string | undefined {
  const raw = env[name]
  return typeof raw === 'string' && raw.trim() !== '' ? raw : undefined
}

/**
 * Parses an integer the seed's way (`int(s.strip())`): `X must be a valid integer, got '10.5'`,
 * `X must be a positive integer, got 0`.
 * @example
 * parseEnvInt('maxConcurrentSessions', 'MSB_MAX_SESSIONS', '10') // 10
 */
export function parseEnvInt(field: ConfigField, variable: string, raw: string, min = 1, max = MAX_SECONDS): number {
  if (!/^[+-]?\d+$/.test(raw.trim())) throw configError(field, `${variable} must be a valid integer, got '${raw}'`, raw, { variable })
  const value = Number(raw.trim()) + 0
  if (value < min) {
    throw configError(field, `${variable} must be a ${min === 0 ? 'non-negative' : 'positive'} integer, got ${value}`, raw, { variable })
  }
  if (value > max) throw configError(field, `${variable} must be at most ${max}, got ${value}`, raw, { variable })
  return value
}

/**
 * Parses a positive number the seed's way (`float(s.strip())`); inf and nan are not numbers here.
 * @example
 * parseEnvFloat('sandboxStartTimeout', 'MSB_SANDBOX_START_TIMEOUT', '12.5') // 12.5
 */
export function parseEnvFloat(field: ConfigField, variable: string, raw: string): number {
  const text = raw.trim()
  const value = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text) ? Number(text) : Number.NaN
  if (!Number.isFinite(value)) throw configError(field, `${variable} must be a valid number, got '${raw}'`, raw, { variable })
  if (value <= 0) {
    throw configError(field, `${variable} must be a positive number, got ${Number.isInteger(value) ? value.toFixed(1) : value}`, raw, { variable })
  }
  return checkField(field, numberSchema(variable), value, variable)
}

/**
 * Parses a boolean: true/1/yes/on/enabled or false/0/no/off/disabled, case-insensitive.
 * @example
 * parseEnvBoolean('enableLruEviction', 'MSB_ENABLE_LRU_EVICTION', 'Off') // false
 */
export function parseEnvBoolean(field: ConfigField, variable: string, raw: string): boolean {
  const text = raw.trim().toLowerCase()
  if (TRUE.has(text)) return true
  if (FALSE.has(text)) return false
  throw configError(field, `${variable} must be a valid boolean value (true/false, 1/0, yes/no, on/off, enabled/disabled), got '${text}'`, raw, { variable })
}

/**
 * Reads the wrapper's variables from an env object into a partial config; every invalid value
 * is a CONFIGURATION_ERROR naming the variable, the value (never MSB_API_KEY's) and the format.
 * @example
 * const config = resolveConfig(configFromEnv(process.env))
 */
export function configFromEnv(env: EnvRecord): WrapperConfigInput {
  const out: WrapperConfigInput = {}
  const get = (name: string): string | undefined => envValue(env, name)
  let raw: string | undefined

  if ((raw = get('MSB_SERVER_URL'))) out.serverUrl = checkField('serverUrl', urlSchema('MSB_SERVER_URL'), raw)
  if ((raw = get('MSB_API_KEY'))) out.apiKey = checkField('apiKey', apiKeySchema('MSB_API_KEY'), raw)
  if ((raw = get('MSB_NAMESPACE'))) out.namespace = checkField('namespace', nameSchema('MSB_NAMESPACE', 63), raw)
  if ((raw = get('MSB_SESSION_TIMEOUT'))) out.sessionTimeout = parseEnvInt('sessionTimeout', 'MSB_SESSION_TIMEOUT', raw)
  if ((raw = get('MSB_MAX_SESSIONS'))) out.maxConcurrentSessions = parseEnvInt('maxConcurrentSessions', 'MSB_MAX_SESSIONS', raw)
  if ((raw = get('MSB_CLEANUP_INTERVAL'))) out.cleanupInterval = parseEnvInt('cleanupInterval', 'MSB_CLEANUP_INTERVAL', raw)
  if ((raw = get('MSB_ORPHAN_CLEANUP_INTERVAL'))) {
    out.orphanCleanupInterval = parseEnvInt('orphanCleanupInterval', 'MSB_ORPHAN_CLEANUP_INTERVAL', raw)
  }
  if ((raw = get('MSB_ORPHAN_GRACE_PERIOD'))) out.orphanGracePeriod = parseEnvInt('orphanGracePeriod', 'MSB_ORPHAN_GRACE_PERIOD', raw, 0)
  if ((raw = get('MSB_DEFAULT_FLAVOR'))) out.defaultFlavor = checkField('defaultFlavor', flavorSchema('MSB_DEFAULT_FLAVOR'), raw.trim().toLowerCase())
  if ((raw = get('MSB_SANDBOX_START_TIMEOUT'))) out.sandboxStartTimeout = parseEnvFloat('sandboxStartTimeout', 'MSB_SANDBOX_START_TIMEOUT', raw)
  if ((raw = get('MSB_EXECUTION_TIMEOUT'))) out.defaultExecutionTimeout = parseEnvInt('defaultExecutionTimeout', 'MSB_EXECUTION_TIMEOUT', raw)
  if ((raw = get('MSB_MAX_TOTAL_MEMORY_MB'))) {
    out.maxTotalMemoryMb = parseEnvInt('maxTotalMemoryMb', 'MSB_MAX_TOTAL_MEMORY_MB', raw, 1, Number.MAX_SAFE_INTEGER)
  }
  if ((raw = get('MSB_SHARED_VOLUME_PATH'))) out.sharedVolumeMappings = splitVolumeMappings(raw, 'MSB_SHARED_VOLUME_PATH')
  if ((raw = get('MSB_ENABLE_LRU_EVICTION'))) out.enableLruEviction = parseEnvBoolean('enableLruEviction', 'MSB_ENABLE_LRU_EVICTION', raw)
  if ((raw = get('MSB_SERVERS'))) out.servers = parseServers(raw)
  if ((raw = get('MSB_ON_MISSING_SESSION'))) {
    out.onMissingSession = checkField('onMissingSession', onMissingSessionSchema('MSB_ON_MISSING_SESSION'), raw)
  }
  if ((raw = get('MSB_SANDBOX_PREFIX'))) out.sandboxPrefix = checkField('sandboxPrefix', nameSchema('MSB_SANDBOX_PREFIX', 20), raw)
  if ((raw = get('MSB_LOG_LEVEL'))) out.logLevel = checkField('logLevel', logLevelSchema('MSB_LOG_LEVEL'), raw)
  const templates = readTemplates(get('MICROSANDBOX_PYTHON_IMAGE'), get('MSB_TEMPLATES'))
  if (templates) out.templates = templates
  return out
}

function parseServers(raw: string): string[] {
  const items = raw.split(',').map((s) => s.trim()).filter((s) => s !== '')
  return items.map((item, i) => checkField('servers', urlSchema(`MSB_SERVERS item ${i}`), item, 'MSB_SERVERS'))
}

/** MICROSANDBOX_PYTHON_IMAGE replaces the python image; MSB_TEMPLATES entries override both. */
function readTemplates(pythonImage: string | undefined, json: string | undefined): Record<string, TemplateSpec> | undefined {
  if (pythonImage === undefined && json === undefined) return undefined
  const out: Record<string, TemplateSpec> = {}
  if (pythonImage !== undefined) {
    const image = checkField('templates', imageSchema('MICROSANDBOX_PYTHON_IMAGE'), pythonImage, 'MICROSANDBOX_PYTHON_IMAGE')
    out.python = { image, language: 'python' }
  }
  if (json === undefined) return out
  let parsed: unknown
  try {
    parsed = JSON.parse(json)
  } catch (e) {
    throw configError('templates', `MSB_TEMPLATES must be a JSON object of name -> {"image", "language"}: ${(e as Error).message}. Got: '${json}'`, json)
  }
  const message = `MSB_TEMPLATES must be a JSON object of name -> {"image", "language"}, got '${json}'`
  const obj = v.safeParse(recordSchema(() => message), parsed)
  if (!obj.success) throw configError('templates', message, json)
  const merged = resolveTemplates(obj.output, 'MSB_TEMPLATES', 'MSB_TEMPLATES')
  for (const name of Object.keys(obj.output)) {
    const key = name.trim().toLowerCase()
    const spec = merged[key]
    if (spec) out[key] = spec
  }
  return out
}

