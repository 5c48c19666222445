/**
 * A JSON reader that mirrors serde_json: the same error messages with line and column, the same
 * integer/float distinction (`1.0` is a float), the same recursion limit (128). The envelope
 * decoder (envelope.ts) drives it token by token so errors surface where serde would raise them.
 * @module
 */
import { isUtf8 } from 'node:buffer'

/** A JSON number that remembers whether serde_json would hold it as an integer or a float. */
export class JsonNumber {
  /** The numeric value (exact for integers within 2^53). */
  readonly value: number
  /** True for floats (`1.0`, `1e2`, integers out of the i64/u64 range, `-0`). */
  readonly float: boolean
  /** Exact decimal text of an integer; '' for floats. */
  readonly int: string
  constructor(value: number, float: boolean, int: string) {
    this.value = value
    this.float = float
    this.int = int
  }
}

/** A parsed JSON value: objects have a null prototype; numbers are JsonNumber. */
export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | JsonObject
/** A parsed JSON object. */
export interface JsonObject { [key: string]: JsonValue }

/** A serde_json-style error: syntax/eof errors answer 400, data errors 422. */
export class JsonError extends Error {
  readonly category: 'syntax' | 'eof' | 'data'
  readonly path: string
  constructor(category: 'syntax' | 'eof' | 'data', message: string, path: string) {
    super(message)
    this.category = category
    this.path = path
  }
}

/** True when `v` is a JSON object (not an array, not a number). */
export function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof JsonNumber)
}

/** Joins a path and a map key the way serde_path_to_error prints it. */
export function keyPath(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`
}

const EOF_CODES = new Set(['EOF while parsing a list', 'EOF while parsing an object', 'EOF while parsing a string', 'EOF while parsing a value'])

/** Byte-level JSON reader with serde_json's positions (column = bytes since the last newline). */
export class JsonReader {
  readonly buf: Uint8Array
  i = 0
  private depth = 128
  constructor(buf: Uint8Array) {
    this.buf = buf
  }

  /** Next byte without consuming it, or -1 at the end. */
  peek(): number {
    return this.i < this.buf.length ? (this.buf[this.i] as number) : -1
  }

  /** Skips whitespace and peeks. */
  ws(): number {
    const b = this.buf
    let i = this.i
    while (i < b.length) {
      const c = b[i] as number
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break
      i++
    }
    this.i = i
    return i < b.length ? (b[i] as number) : -1
  }

  /** Error at the last consumed byte (serde's `error`). */
  fail(message: string, path: string, at = this.i, data = false): JsonError {
    let start = at
    while (start > 0 && this.buf[start - 1] !== 0x0a) start--
    let line = 1
    for (let k = 0; k < start; k++) if (this.buf[k] === 0x0a) line++
    const category = data ? 'data' : EOF_CODES.has(message) ? 'eof' : 'syntax'
    return new JsonError(category, `${message} at line ${line} column ${at - start}`, path)
  }

  /** Error at the next byte (serde's `peek_error`). */
  failPeek(message: string, path: string): JsonError {
    return this.fail(message, path, Math.min(this.buf.length, this.i + 1))
  }

  /** Enters a container; throws at 128 levels like serde_json. */
  enter(path: string): void {
    if (--this.depth === 0) throw this.failPeek('recursion limit exceeded', path)
  }

  /** Leaves a container. */
  leave(): void {
    this.depth++
  }

  /** Parses any value at the current position. `ignore` mirrors serde's IgnoredAny (no depth limit, flat path). */
  value(path: string, ignore = false): JsonValue {
    const c = this.ws()
    if (c === -1) throw this.failPeek('EOF while parsing a value', path)
    switch (c) {
      case 0x6e: this.i++; this.ident('ull', path); return null
      case 0x74: this.i++; this.ident('rue', path); return true
      case 0x66: this.i++; this.ident('alse', path); return false
      case 0x22: this.i++; return this.string(path)
      case 0x5b: return this.array(path, ignore)
      case 0x7b: return this.object(path, ignore)
      case 0x2d: this.i++; return this.number(false, path)
      default:
        if (c >= 0x30 && c <= 0x39) return this.number(true, path)
        throw this.failPeek('expected value', path)
    }
  }

  /** Consumes the rest of a literal (`ull`, `rue`, `alse`). */
  ident(rest: string, path: string): void {
    for (let k = 0; k < rest.length; k++) {
      if (this.i >= this.buf.length) throw this.fail('EOF while parsing a value', path)
      if (this.buf[this.i++] !== rest.charCodeAt(k)) throw this.fail('expected ident', path)
    }
  }

  private array(path: string, ignore: boolean): JsonValue[] {
    if (!ignore) this.enter(path)
    this.i++
    const out: JsonValue[] = []
    for (let first = true; ; first = false) {
      if (!this.seqNext(first, path)) break
      out.push(this.value(ignore ? path : `${path}[${out.length}]`, ignore))
    }
    this.seqEnd(path)
    if (!ignore) this.leave()
    return out
  }

  /** serde_json SeqAccess::next_element: true when an element follows. */
  seqNext(first: boolean, path: string): boolean {
    let c = this.ws()
    if (c === 0x5d) return false
    if (c === 0x2c && !first) {
      this.i++
      c = this.ws()
    } else if (c === -1) {
      throw this.failPeek('EOF while parsing a list', path)
    } else if (!first) {
      throw this.failPeek('expected `,` or `]`', path)
    }
    if (c === 0x5d) throw this.failPeek('trailing comma', path)
    if (c === -1) throw this.failPeek('EOF while parsing a value', path)
    return true
  }

  /** serde_json end_seq. */
  seqEnd(path: string): void {
    const c = this.ws()
    if (c === 0x5d) { this.i++; return }
    if (c === -1) throw this.failPeek('EOF while parsing a list', path)
    if (c === 0x2c) {
      this.i++
      throw this.failPeek(this.ws() === 0x5d ? 'trailing comma' : 'trailing characters', path)
    }
    throw this.failPeek('trailing characters', path)
  }

  private object(path: string, ignore: boolean): JsonObject {
    if (!ignore) this.enter(path)
    this.i++
    const out: JsonObject = Object.create(null) as JsonObject
    for (let first = true; ; first = false) {
      const key = this.mapKey(first, path)
      if (key === undefined) break
      this.colon(path)
      out[key] = this.value(ignore ? path : keyPath(path, key), ignore)
    }
    this.mapEnd(path)
    if (!ignore) this.leave()
    return out
  }

  /** serde_json MapAccess::next_key: the key, or undefined at `}`. */
  mapKey(first: boolean, path: string): string | undefined {
    let c = this.ws()
    if (c === 0x7d) return undefined
    if (c === 0x2c && !first) {
      this.i++
      c = this.ws()
    } else if (c === -1) {
      throw this.failPeek('EOF while parsing an object', path)
    } else if (!first) {
      throw this.failPeek('expected `,` or `}`', path)
    }
    if (c === 0x22) { this.i++; return this.string(path) }
    if (c === 0x7d) throw this.failPeek('trailing comma', path)
    if (c === -1) throw this.failPeek('EOF while parsing a value', path)
    throw this.failPeek('key must be a string', path)
  }

  /** serde_json parse_object_colon. */
  colon(path: string): void {
    const c = this.ws()
    if (c === 0x3a) { this.i++; return }
    throw this.failPeek(c === -1 ? 'EOF while parsing an object' : 'expected `:`', path)
  }

  /** serde_json end_map. */
  mapEnd(path: string): void {
    const c = this.ws()
    if (c === 0x7d) { this.i++; return }
    if (c === -1) throw this.failPeek('EOF while parsing an object', path)
    throw this.failPeek(c === 0x2c ? 'trailing comma' : 'trailing characters', path)
  }

  /** Parses a string body; the opening quote is already consumed. */
  string(path: string): string {
    const b = this.buf
    let start = this.i
    let out = ''
    for (;;) {
      let i = this.i
      let high = false
      while (i < b.length) {
        const c = b[i] as number
        if (c === 0x22 || c === 0x5c || c < 0x20) break
        if (c >= 0x80) high = true
        i++
      }
      this.i = i
      if (high && !isUtf8(b.subarray(start, i))) throw this.fail('invalid unicode code point', path)
      if (i >= b.length) throw this.fail('EOF while parsing a string', path)
      const c = b[i] as number
      out += Buffer.from(b.buffer, b.byteOffset + start, i - start).toString('utf8')
      this.i = i + 1
      if (c === 0x22) return out
      if (c < 0x20) throw this.fail('control character (\\u0000-\\u001F) found while parsing a string', path)
      out += this.escape(path)
      start = this.i
    }
  }

  private escape(path: string): string {
    if (this.i >= this.buf.length) throw this.fail('EOF while parsing a string', path)
    const c = this.buf[this.i++] as number
    switch (c) {
      case 0x22: return '"'
      case 0x5c: return '\\'
      case 0x2f: return '/'
      case 0x62: return '\b'
      case 0x66: return '\f'
      case 0x6e: return '\n'
      case 0x72: return '\r'
      case 0x74: return '\t'
      case 0x75: return this.unicode(path)
      default: throw this.fail('invalid escape', path)
    }
  }

  private hex4(path: string): number {
    if (this.i + 4 > this.buf.length) {
      this.i = this.buf.length
      throw this.fail('EOF while parsing a string', path)
    }
    let n = 0
    for (let k = 0; k < 4; k++) {
      const h = parseInt(String.fromCharCode(this.buf[this.i] as number), 16)
      this.i++
      if (Number.isNaN(h)) throw this.fail('invalid escape', path)
      n = n * 16 + h
    }
    return n
  }

  private unicode(path: string): string {
    const n1 = this.hex4(path)
    if (n1 >= 0xdc00 && n1 <= 0xdfff) throw this.fail('lone leading surrogate in hex escape', path)
    if (n1 < 0xd800 || n1 > 0xdbff) return String.fromCharCode(n1)
    if (this.buf[this.i] !== 0x5c || this.buf[this.i + 1] !== 0x75) {
      this.i = Math.min(this.buf.length, this.i + 1)
      throw this.fail(this.i >= this.buf.length ? 'EOF while parsing a string' : 'unexpected end of hex escape', path)
    }
    this.i += 2
    const n2 = this.hex4(path)
    if (n2 < 0xdc00 || n2 > 0xdfff) throw this.fail('lone leading surrogate in hex escape', path)
    return String.fromCharCode(n1, n2)
  }

  /** Parses a number; for negatives the '-' is already consumed. */
  number(positive: boolean, path: string): JsonNumber {
    const b = this.buf
    const start = positive ? this.i : this.i - 1
    if (this.i >= b.length) throw this.fail('EOF while parsing a value', path)
    const first = b[this.i++] as number
    if (first === 0x30) {
      const n = this.peek()
      if (n >= 0x30 && n <= 0x39) throw this.failPeek('invalid number', path)
    } else if (first >= 0x31 && first <= 0x39) {
      while (this.i < b.length && (b[this.i] as number) >= 0x30 && (b[this.i] as number) <= 0x39) this.i++
    } else {
      throw this.fail('invalid number', path)
    }
    let float = false
    if (this.peek() === 0x2e) {
      float = true
      this.i++
      if (!this.digits()) throw this.failPeek(this.peek() === -1 ? 'EOF while parsing a value' : 'invalid number', path)
    }
    const e = this.peek()
    if (e === 0x65 || e === 0x45) {
      float = true
      this.i++
      const s = this.peek()
      if (s === 0x2b || s === 0x2d) this.i++
      if (this.i >= b.length) throw this.fail('EOF while parsing a value', path)
      const d = b[this.i] as number
      if (d < 0x30 || d > 0x39) { this.i++; throw this.fail('invalid number', path) }
      this.digits()
    }
    return this.makeNumber(Buffer.from(b.buffer, b.byteOffset + start, this.i - start).toString('latin1'), float, path)
  }

  private digits(): boolean {
    const start = this.i
    while (this.i < this.buf.length && (this.buf[this.i] as number) >= 0x30 && (this.buf[this.i] as number) <= 0x39) this.i++
    return this.i > start
  }

  private makeNumber(text: string, float: boolean, path: string): JsonNumber {
    const value = Number(text)
    if (!float) {
      const big = BigInt(text)
      if (big === 0n && text.startsWith('-')) return new JsonNumber(-0, true, '')
      if (big <= 18446744073709551615n && big >= -9223372036854775808n) return new JsonNumber(value, false, big.toString())
    }
    if (!Number.isFinite(value)) throw this.fail('number out of range', path)
    return new JsonNumber(value, true, '')
  }
}

/** Parses a whole document as serde_json::from_slice::<Value> would (trailing characters rejected). */
export function parseJson(buf: Uint8Array): JsonValue {
  const r = new JsonReader(buf)
  const v = r.value('')
  if (r.ws() !== -1) throw r.failPeek('trailing characters', '')
  return v
}
