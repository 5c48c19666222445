/**
 * serde_json-compatible output: keys of result values sorted (serde_json::Value without
 * preserve_order), floats formatted like ryu (`1.0`, `1e20`), and serde's "unexpected" wording
 * for error messages.
 * @module
 */
import { JsonNumber, type JsonValue } from './json.ts'

/** Anything the server writes: parsed values, plain integers, strings, nested objects. */
export type OutValue = null | boolean | number | string | JsonNumber | readonly OutValue[] | { readonly [k: string]: OutValue | undefined }

/** Formats a finite float the way serde_json (ryu) prints it. */
export function formatFloat(v: number): string {
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0'
  const [mantissa = '', exponent = '0'] = Math.abs(v).toExponential().split('e')
  const digits = mantissa.replace('.', '')
  const kk = Number(exponent) + 1
  const k = kk - digits.length
  let s: string
  if (k >= 0 && kk <= 16) s = `${digits}${'0'.repeat(k)}.0`
  else if (kk > 0 && kk <= 16) s = `${digits.slice(0, kk)}.${digits.slice(kk)}`
  else if (kk > -5 && kk <= 0) s = `0.${'0'.repeat(-kk)}${digits}`
  else if (digits.length === 1) s = `${digits}e${kk - 1}`
  else s = `${digits[0]}.${digits.slice(1)}e${kk - 1}`
  return v < 0 ? `-${s}` : s
}

function writeNumber(v: number | JsonNumber): string {
  if (v instanceof JsonNumber) return v.float ? formatFloat(v.value) : v.int
  return Number.isInteger(v) && !Object.is(v, -0) ? String(v) : formatFloat(v)
}

/** Serializes compactly; object keys sorted unless `sort` is false. */
export function writeJson(v: OutValue, sort = true): string {
  if (v === null) return 'null'
  switch (typeof v) {
    case 'boolean': return v ? 'true' : 'false'
    case 'string': return JSON.stringify(v)
    case 'number': return writeNumber(v)
  }
  if (v instanceof JsonNumber) return writeNumber(v)
  if (Array.isArray(v)) return `[${(v as readonly OutValue[]).map((x) => writeJson(x, sort)).join(',')}]`
  const obj = v as { readonly [k: string]: OutValue | undefined }
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined)
  if (sort) keys.sort()
  return `{${keys.map((k) => `${JSON.stringify(k)}:${writeJson(obj[k] as OutValue, sort)}`).join(',')}}`
}

/** Serializes like serde_json::to_string_pretty (two spaces, sorted keys). */
export function writePretty(v: OutValue, indent = ''): string {
  if (v === null || typeof v !== 'object' || v instanceof JsonNumber) return writeJson(v)
  const inner = `${indent}  `
  if (Array.isArray(v)) {
    const items = v as readonly OutValue[]
    if (items.length === 0) return '[]'
    return `[\n${items.map((x) => inner + writePretty(x, inner)).join(',\n')}\n${indent}]`
  }
  const obj = v as { readonly [k: string]: OutValue | undefined }
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort()
  if (keys.length === 0) return '{}'
  return `{\n${keys.map((k) => `${inner}${JSON.stringify(k)}: ${writePretty(obj[k] as OutValue, inner)}`).join(',\n')}\n${indent}}`
}

/** Rust's `{:?}` of a str: quotes and escapes as Rust prints them. */
export function rustDebugString(s: string): string {
  let out = '"'
  for (const ch of s) {
    const c = ch.codePointAt(0) as number
    if (ch === '"') out += '\\"'
    else if (ch === '\\') out += '\\\\'
    else if (ch === '\n') out += '\\n'
    else if (ch === '\r') out += '\\r'
    else if (ch === '\t') out += '\\t'
    else if (c === 0) out += '\\0'
    else if (c < 0x20 || (c >= 0x7f && c < 0xa0) || c === 0xad) out += `\\u{${c.toString(16)}}`
    else out += ch
  }
  return `${out}"`
}

/** serde's Unexpected wording for a value, as serde_json prints it ("integer `5`", `string "x"`, "null"). */
export function unexpected(v: JsonValue): string {
  if (v === null) return 'null'
  if (typeof v === 'boolean') return `boolean \`${v}\``
  if (typeof v === 'string') return `string ${rustDebugString(v)}`
  if (v instanceof JsonNumber) return v.float ? `floating point \`${formatFloat(v.value)}\`` : `integer \`${v.int}\``
  return Array.isArray(v) ? 'sequence' : 'map'
}
