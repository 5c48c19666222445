/**
 * `parseServiceEnv`: the service-level variables the adapters read (storage, HTTP API keys, host, port).
 * It describes what to build; it creates no drivers.
 * @module
 */
import { createError } from '../errors.ts'
import { SERVICE_DEFAULTS } from './defaults.ts'
import { envValue, type EnvRecord } from './env.ts'

/** Where session state lives, as `MSB_STORAGE` says. */
export type StorageSpec =
  | { kind: 'memory' }
  | { kind: 'fs'; dir: string }
  | { kind: 'redis'; url: string }

/** One key of the HTTP API: its name is the principal; `admin` may call admin routes. */
export interface HttpApiKey {
  name: string
  secret: string
}

/** The service-level settings. */
export interface ServiceEnv {
  storage: StorageSpec
  /** Empty when `MSB_HTTP_API_KEYS` is unset: the HTTP API is open. */
  httpApiKeys: HttpApiKey[]
  port: number
  host: string
}

function fail(variable: string, message: string, expected: string, value?: string): never {
  const details: Record<string, unknown> = { variable }
  if (value !== undefined) details.value = value
  details.expected = expected
  throw createError('CONFIGURATION_ERROR', message, { details })
}

/** A URL with its password (and user) replaced, for messages. */
function redactUrl(raw: string): string {
  return raw.replace(/^([a-z]+:\/\/)[^@/]*@/i, '$1***@')
}

const STORAGE_EXPECTED = "'memory', 'fs:<dir>', or a redis:// or rediss:// URL"

/**
 * Parses `MSB_STORAGE`: `memory` (default), `fs:<dir>`, `redis://...` or `rediss://...`.
 * @example
 * parseStorage('fs:./data') // { kind: 'fs', dir: './data' }
 */
export function parseStorage(raw: string | undefined): StorageSpec {
  const text = raw?.trim() ?? ''
  if (text === '' || text.toLowerCase() === 'memory') return { kind: 'memory' }
  if (text.startsWith('fs:')) {
    const dir = text.slice(3).trim()
    if (dir === '') fail('MSB_STORAGE', `MSB_STORAGE 'fs:' needs a directory, e.g. 'fs:./.sessions'`, STORAGE_EXPECTED, text)
    return { kind: 'fs', dir }
  }
  if (/^rediss?:\/\//i.test(text)) {
    let ok = false
    try {
      ok = new URL(text).hostname !== ''
    } catch { /* reported below */ }
    if (!ok) fail('MSB_STORAGE', `MSB_STORAGE is not a valid Redis URL: '${redactUrl(text)}'`, STORAGE_EXPECTED, redactUrl(text))
    return { kind: 'redis', url: text }
  }
  return fail('MSB_STORAGE', `Invalid MSB_STORAGE '${redactUrl(text)}'. Valid options are: ${STORAGE_EXPECTED}`, STORAGE_EXPECTED, redactUrl(text))
}

const KEYS_EXPECTED = "a comma list of name:secret, names of A-Z a-z 0-9 _ -, secrets non-empty and unique"

/**
 * Parses `MSB_HTTP_API_KEYS` (`name:secret,...`). Messages name entries by position, never a secret.
 * @example
 * parseHttpApiKeys('admin:s3cret,ci:abc') // [{ name: 'admin', secret: 's3cret' }, { name: 'ci', secret: 'abc' }]
 */
export function parseHttpApiKeys(raw: string | undefined): HttpApiKey[] {
  if (raw === undefined || raw.trim() === '') return []
  const keys: HttpApiKey[] = []
  raw.split(',').forEach((entry, i) => {
    const item = entry.trim()
    if (item === '') return
    const colon = item.indexOf(':')
    const name = colon < 0 ? item : item.slice(0, colon).trim()
    const secret = colon < 0 ? '' : item.slice(colon + 1).trim()
    if (!/^[A-Za-z0-9_-]+$/.test(name)) {
      fail('MSB_HTTP_API_KEYS', `MSB_HTTP_API_KEYS entry ${i} must be name:secret with a name of A-Z a-z 0-9 _ -`, KEYS_EXPECTED)
    }
    if (secret === '') fail('MSB_HTTP_API_KEYS', `MSB_HTTP_API_KEYS entry ${i} ('${name}') has an empty secret`, KEYS_EXPECTED)
    if (keys.some((k) => k.name === name)) fail('MSB_HTTP_API_KEYS', `MSB_HTTP_API_KEYS names '${name}' more than once`, KEYS_EXPECTED)
    if (keys.some((k) => k.secret === secret)) {
      fail('MSB_HTTP_API_KEYS', `MSB_HTTP_API_KEYS entry ${i} ('${name}') reuses the secret of another key`, KEYS_EXPECTED)
    }
    keys.push({ name, secret })
  })
  return keys
}

/**
 * Reads `MSB_STORAGE`, `MSB_HTTP_API_KEYS`, `PORT` (8775) and `HOST` (127.0.0.1).
 * @example
 * const { storage, httpApiKeys, port, host } = parseServiceEnv(process.env)
 */
export function parseServiceEnv(env: EnvRecord): ServiceEnv {
  const portRaw = envValue(env, 'PORT')
  let port: number = SERVICE_DEFAULTS.port
  if (portRaw !== undefined) {
    if (!/^[+-]?\d+$/.test(portRaw.trim())) fail('PORT', `PORT must be a valid integer, got '${portRaw}'`, 'an integer from 0 to 65535', portRaw)
    port = Number(portRaw.trim())
    if (port < 0 || port > 65535) fail('PORT', `PORT must be between 0 and 65535, got ${port}`, 'an integer from 0 to 65535', portRaw)
  }
  const hostRaw = envValue(env, 'HOST')
  const host = hostRaw?.trim() ?? SERVICE_DEFAULTS.host
  if (/\s/.test(host)) fail('HOST', `HOST must be a host name or IP address, got '${host}'`, 'a host name or IP address, e.g. 127.0.0.1 or 0.0.0.0', host)
  return {
    storage: parseStorage(envValue(env, 'MSB_STORAGE')),
    httpApiKeys: parseHttpApiKeys(envValue(env, 'MSB_HTTP_API_KEYS')),
    port,
    host,
  }
}
