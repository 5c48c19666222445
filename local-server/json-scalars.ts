/**
 * serde_json's scalar parsing: strings (escapes, surrogates, control characters, UTF-8) and
 * numbers (u64/i64 integers, floats, `-0` as a float), with its error messages and positions.
 * @module
 */
import { isUtf8 } from 'node:buffer'
import { JsonNumber, type JsonError } from './json-value.ts'

/** The part of the reader the scalar parsers use. */
export interface ScalarReader {
  readonly buf: Uint8Array
  i: number
  peek(): number
  fail(message: string, path: string, at?: number): JsonError
  failPeek(message: string, path: string): JsonError
}

/** Parses a string body; the opening quote is already consumed. */
export function readString(r: ScalarReader, path: string): string {
  const b = r.buf
  let start = r.i
  let out = ''
  for (;;) {
    let i = r.i
    let high = false
    while (i < b.length) {
      const c = b[i] as number
      if (c === 0x22 || c === 0x5c || c < 0x20) break
      if (c >= 0x80) high = true
      i++
    }
    r.i = i
    if (high && !isUtf8(b.subarray(start, i))) throw r.fail('invalid unicode code point', path)
    if (i >= b.length) throw r.fail('EOF while parsing a string', path)
    const c = b[i] as number
    out += Buffer.from(b.buffer, b.byteOffset + start, i - start).toString('utf8')
    r.i = i + 1
    if (c === 0x22) return out
    if (c < 0x20) throw r.fail('control character (\\u0000-\\u001F) found while parsing a string', path)
    out += escape(r, path)
    start = r.i
  }
}

function escape(r: ScalarReader, path: string): string {
  if (r.i >= r.buf.length) throw r.fail('EOF while parsing a string', path)
  const c = r.buf[r.i++] as number
  switch (c) {
    case 0x22: return '"'
    case 0x5c: return '\\'
    case 0x2f: return '/'
    case 0x62: return '\b'
    case 0x66: return '\f'
    case 0x6e: return '\n'
    case 0x72: return '\r'
    case 0x74: return '\t'
    case 0x75: return unicode(r, path)
    default: throw r.fail('invalid escape', path)
  }
}

function hex4(r: ScalarReader, path: string): number {
  if (r.i + 4 > r.buf.length) {
    r.i = r.buf.length
    throw r.fail('EOF while parsing a string', path)
  }
  let n = 0
  for (let k = 0; k < 4; k++) {
    const h = parseInt(String.fromCharCode(r.buf[r.i] as number), 16)
    r.i++
    if (Number.isNaN(h)) throw r.fail('invalid escape', path)
    n = n * 16 + h
  }
  return n
}

function unicode(r: ScalarReader, path: string): string {
  const n1 = hex4(r, path)
  if (n1 >= 0xdc00 && n1 <= 0xdfff) throw r.fail('lone leading surrogate in hex escape', path)
  if (n1 < 0xd800 || n1 > 0xdbff) return String.fromCharCode(n1)
  if (r.buf[r.i] !== 0x5c || r.buf[r.i + 1] !== 0x75) {
    r.i = Math.min(r.buf.length, r.i + 1)
    throw r.fail(r.i >= r.buf.length ? 'EOF while parsing a string' : 'unexpected end of hex escape', path)
  }
  r.i += 2
  const n2 = hex4(r, path)
  if (n2 < 0xdc00 || n2 > 0xdfff) throw r.fail('lone leading surrogate in hex escape', path)
  return String.fromCharCode(n1, n2)
}

/** Parses a number; for negatives the '-' is already consumed. */
export function readNumber(r: ScalarReader, positive: boolean, path: string): JsonNumber {
  const b = r.buf
  const start = positive ? r.i : r.i - 1
  if (r.i >= b.length) throw r.fail('EOF while parsing a value', path)
  const first = b[r.i++] as number
  if (first === 0x30) {
    const n = r.peek()
    if (n >= 0x30 && n <= 0x39) throw r.failPeek('invalid number', path)
  } else if (first >= 0x31 && first <= 0x39) {
    while (r.i < b.length && (b[r.i] as number) >= 0x30 && (b[r.i] as number) <= 0x39) r.i++
  } else {
    throw r.fail('invalid number', path)
  }
  let float = false
  if (r.peek() === 0x2e) {
    float = true
    r.i++
    if (!digits(r)) throw r.failPeek(r.peek() === -1 ? 'EOF while parsing a value' : 'invalid number', path)
  }
  const e = r.peek()
  if (e === 0x65 || e === 0x45) {
    float = true
    r.i++
    const s = r.peek()
    if (s === 0x2b || s === 0x2d) r.i++
    if (r.i >= b.length) throw r.fail('EOF while parsing a value', path)
    const d = b[r.i] as number
    if (d < 0x30 || d > 0x39) { r.i++; throw r.fail('invalid number', path) }
    digits(r)
  }
  return makeNumber(r, Buffer.from(b.buffer, b.byteOffset + start, r.i - start).toString('latin1'), float, path)
}

function digits(r: ScalarReader): boolean {
  const start = r.i
  while (r.i < r.buf.length && (r.buf[r.i] as number) >= 0x30 && (r.buf[r.i] as number) <= 0x39) r.i++
  return r.i > start
}

function makeNumber(r: ScalarReader, text: string, float: boolean, path: string): JsonNumber {
  const value = Number(text)
  if (!float) {
    const big = BigInt(text)
    if (big === 0n && text.startsWith('-')) return new JsonNumber(-0, true, '')
    if (big <= 18446744073709551615n && big >= -9223372036854775808n) return new JsonNumber(value, false, big.toString())
  }
  if (!Number.isFinite(value)) throw r.fail('number out of range', path)
  return new JsonNumber(value, true, '')
}
