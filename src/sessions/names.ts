/**
 * Sandbox names: `<prefix>-<tag>-<hash>`. The tag (7 base32 characters of FNV-1a over namespace
 * and prefix) marks the deployment, so the orphan reaper never takes a sibling deployment's
 * sandboxes for its own; the hash is SHA-256 of (namespace, prefix, session id) in lowercase
 * base32, cut to 26 characters (130 bits). Any isolate derives the same name.
 * @module
 */
import { createError } from '../errors.ts'

/**
 * The server's name rule: 1-63 characters of `[A-Za-z0-9_-]`, starting alphanumeric.
 * @example
 * SANDBOX_NAME_PATTERN.test('msb-abc') // true
 */
export const SANDBOX_NAME_PATTERN: RegExp = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/

const PREFIX_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,19}$/
const HASH_LENGTH = 26
const TAG_LENGTH = 7
const HASH_PATTERN = /^[a-z2-7]{26}$/
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'
const CACHE_SIZE = 1000
const cache = new Map<string, string>()

/**
 * True when `name` follows the server's sandbox name rule.
 * @example
 * isValidSandboxName('msb-abc') // true
 */
export function isValidSandboxName(name: string): boolean {
  return SANDBOX_NAME_PATTERN.test(name)
}

/**
 * Checks a deployment prefix (1-20 characters, `[A-Za-z0-9][A-Za-z0-9_-]*`); throws CONFIGURATION_ERROR.
 * @example
 * validatePrefix('msb') // ok; validatePrefix('-x') throws
 */
export function validatePrefix(prefix: string): void {
  if (typeof prefix !== 'string' || !PREFIX_PATTERN.test(prefix)) {
    throw createError('CONFIGURATION_ERROR',
      `Invalid sandbox name prefix ${JSON.stringify(prefix)}: expected 1-20 characters of [A-Za-z0-9_-], starting with a letter or digit`,
      { details: { prefix } })
  }
}

/**
 * The part every sandbox name of a deployment (prefix, namespace) starts with: `<prefix>-<tag>-`.
 * @example
 * deploymentPrefix('msb', 'default') // 'msb-xxxxxxx-'
 */
export function deploymentPrefix(prefix: string, namespace: string): string {
  return `${prefix}-${deploymentTag(namespace, prefix)}-`
}

/**
 * True when `name` is a sandbox name the deployment (prefix, namespace) derived.
 * @example
 * isOwnSandboxName(await deriveSandboxName('default', 'msb', id), 'msb', 'default') // true
 */
export function isOwnSandboxName(name: string, prefix: string, namespace: string): boolean {
  const head = deploymentPrefix(prefix, namespace)
  return name.length === head.length + HASH_LENGTH && name.startsWith(head) && HASH_PATTERN.test(name.slice(head.length))
}

/**
 * Derives the sandbox name of a session; cached in a bounded LRU because it is on the hot path.
 * @example
 * const name = await deriveSandboxName('default', 'msb', sessionId) // 'msb-<7>-<26 base32 chars>'
 */
export async function deriveSandboxName(namespace: string, prefix: string, sessionId: string): Promise<string> {
  const input = lengthPrefixed([namespace, prefix, sessionId])
  const cached = cache.get(input)
  if (cached !== undefined) {
    cache.delete(input)
    cache.set(input, cached)
    return cached
  }
  validatePrefix(prefix)
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encodeFields([namespace, prefix, sessionId])))
  const name = `${deploymentPrefix(prefix, namespace)}${base32(digest).slice(0, HASH_LENGTH)}`
  cache.set(input, name)
  if (cache.size > CACHE_SIZE) {
    const oldest = cache.keys().next()
    if (!oldest.done) cache.delete(oldest.value)
  }
  return name
}

/** The cache key: each field after its length, so no two field lists give the same key. */
function lengthPrefixed(fields: string[]): string {
  let out = ''
  for (const field of fields) out += `${field.length}:${field}`
  return out
}

/**
 * The hashed bytes: per field a 4-byte big-endian length, then its UTF-16 code units big-endian.
 * Code units (not UTF-8) keep the encoding injective even for ids with lone surrogates.
 */
function encodeFields(fields: string[]): Uint8Array<ArrayBuffer> {
  let size = 0
  for (const field of fields) size += 4 + field.length * 2
  const bytes = new Uint8Array(size)
  const view = new DataView(bytes.buffer)
  let at = 0
  for (const field of fields) {
    view.setUint32(at, field.length)
    at += 4
    for (let i = 0; i < field.length; i++, at += 2) view.setUint16(at, field.charCodeAt(i))
  }
  return bytes
}

/** RFC 4648 base32, lowercase, without padding. */
function base32(bytes: Uint8Array): string {
  let out = ''
  let buffer = 0
  let bits = 0
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte
    bits += 8
    while (bits >= 5) {
      bits -= 5
      out += BASE32[(buffer >>> bits) & 31]
    }
    buffer &= (1 << bits) - 1
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31]
  return out
}

/** FNV-1a (32 bits) over the length-prefixed UTF-16 code units of namespace and prefix, base32. */
function deploymentTag(namespace: string, prefix: string): string {
  let h = 0x811c9dc5
  const mix = (n: number) => {
    h ^= n & 0xffff
    h = Math.imul(h, 0x01000193) >>> 0
  }
  for (const field of [namespace, prefix]) {
    mix(field.length >>> 16)
    mix(field.length)
    for (let i = 0; i < field.length; i++) mix(field.charCodeAt(i))
  }
  const bytes = new Uint8Array([h >>> 24, (h >>> 16) & 255, (h >>> 8) & 255, h & 255])
  return base32(bytes).slice(0, TAG_LENGTH)
}
