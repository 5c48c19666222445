/**
 * A JSON reader that mirrors serde_json: the same error messages with line and column, the same
 * integer/float distinction (`1.0` is a float), the same recursion limit (128). The envelope
 * decoder (envelope.ts) drives it token by token so errors surface where serde would raise them.
 * @module
 */
import { JsonError, keyPath, type JsonObject, type JsonValue } from './json-value.ts'
import { readNumber, readString } from './json-scalars.ts'

export { JsonError, JsonNumber, isObject, keyPath, type JsonObject, type JsonValue } from './json-value.ts'

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
      case 0x22: this.i++; return readString(this, path)
      case 0x5b: return this.array(path, ignore)
      case 0x7b: return this.object(path, ignore)
      case 0x2d: this.i++; return readNumber(this, false, path)
      default:
        if (c >= 0x30 && c <= 0x39) return readNumber(this, true, path)
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
    if (c === 0x22) { this.i++; return readString(this, path) }
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
    return readString(this, path)
  }
}

/** Parses a whole document as serde_json::from_slice::<Value> would (trailing characters rejected). */
export function parseJson(buf: Uint8Array): JsonValue {
  const r = new JsonReader(buf)
  const v = r.value('')
  if (r.ws() !== -1) throw r.failPeek('trailing characters', '')
  return v
}
