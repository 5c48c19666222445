/**
 * API keys exactly like `msb server keygen` and the server's auth middleware: `msb_` + an HS256
 * JWT `{exp, iat}` (v0.2.6 adds `namespace`) signed with the server key's UTF-8 bytes, checked
 * with a 60 s leeway on `exp`. Keys and tokens never appear in messages.
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { JsonNumber, isObject, parseJson, type JsonValue } from './json.ts'

/** The auth outcome: accepted (with the token's namespace scope, if any) or a 401/403 body. */
export type AuthResult =
  | { ok: true; namespace: string | undefined }
  | { ok: false; status: 401; body: string }

const INVALID_CREDENTIALS = '{"error":"Invalid credentials","code":1001}'
const INVALID_TOKEN = '{"error":"Invalid or expired token","code":1004}'
const LEEWAY_SECONDS = 60

function b64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url')
}

/** Mints an API key the way `msb server keygen` does. */
export function signApiKey(serverKey: string, options: { expiresInSeconds?: number; namespace?: string; now?: number } = {}): string {
  const iat = Math.floor((options.now ?? Date.now()) / 1000)
  const exp = iat + (options.expiresInSeconds ?? 24 * 3600)
  const header = b64url('{"typ":"JWT","alg":"HS256"}')
  const ns = options.namespace === undefined ? '' : `,"namespace":${JSON.stringify(options.namespace)}`
  const payload = b64url(`{"exp":${exp},"iat":${iat}${ns}}`)
  const signature = createHmac('sha256', Buffer.from(serverKey, 'utf8')).update(`${header}.${payload}`).digest('base64url')
  return `msb_${header}.${payload}.${signature}`
}

/** Decodes a canonical base64url segment without padding (jsonwebtoken's URL_SAFE_NO_PAD), or undefined. */
function decodeSegment(segment: string): Buffer | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(segment) || segment.length % 4 === 1) return undefined
  const bytes = Buffer.from(segment, 'base64url')
  return bytes.toString('base64url') === segment ? bytes : undefined
}

function decodeJsonSegment(segment: string): JsonValue | undefined {
  const bytes = decodeSegment(segment)
  if (!bytes) return undefined
  try {
    return parseJson(bytes)
  } catch {
    return undefined
  }
}

function isU64(v: JsonValue | undefined): v is JsonNumber {
  return v instanceof JsonNumber && !v.float && !v.int.startsWith('-')
}

/** Verifies a JWT as jsonwebtoken 9 with Validation::new(HS256); returns its claims or undefined. */
export function verifyToken(token: string, serverKey: string, requireNamespace: boolean, nowMs = Date.now()): { namespace: string | undefined } | undefined {
  const parts = token.split('.')
  if (parts.length !== 3) return undefined
  const [h = '', p = '', s = ''] = parts
  const header = decodeJsonSegment(h)
  if (!isObject(header) || header.alg !== 'HS256') return undefined
  const signature = decodeSegment(s)
  const expected = createHmac('sha256', Buffer.from(serverKey, 'utf8')).update(`${h}.${p}`).digest()
  if (!signature || signature.length !== expected.length || !timingSafeEqual(signature, expected)) return undefined
  const claims = decodeJsonSegment(p)
  if (!isObject(claims) || !isU64(claims.exp) || !isU64(claims.iat)) return undefined
  if (claims.aud !== undefined) return undefined
  if (BigInt(claims.exp.int) < BigInt(Math.floor(nowMs / 1000) - LEEWAY_SECONDS)) return undefined
  const namespace = claims.namespace
  if (requireNamespace && typeof namespace !== 'string') return undefined
  return { namespace: typeof namespace === 'string' ? namespace : undefined }
}

/** True when a header value is what `HeaderValue::to_str` accepts (visible ASCII and tabs). */
function isVisibleAscii(v: string): boolean {
  return /^[\t\x20-\x7e]*$/.test(v)
}

/** The auth middleware: Proxy-Authorization wins over Authorization; optional `Bearer `. */
export function authenticate(headers: IncomingHttpHeaders, serverKey: string, requireNamespace: boolean): AuthResult {
  const raw = headers['proxy-authorization'] ?? headers.authorization
  if (raw === undefined || !isVisibleAscii(raw)) return { ok: false, status: 401, body: INVALID_CREDENTIALS }
  const key = raw.startsWith('Bearer ') ? raw.slice(7) : raw
  if (!key.startsWith('msb_')) return { ok: false, status: 401, body: INVALID_CREDENTIALS }
  const claims = verifyToken(key.slice(4), serverKey, requireNamespace)
  if (!claims) return { ok: false, status: 401, body: INVALID_TOKEN }
  return { ok: true, namespace: requireNamespace ? claims.namespace : undefined }
}
