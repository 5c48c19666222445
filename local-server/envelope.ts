/**
 * Decodes a JSON-RPC request body exactly as axum's `Json<JsonRpcRequest>` would: serde's derived
 * struct visitor over serde_json, with serde_path_to_error paths, so that each malformed body
 * gets the same 400 (syntax) or 422 (data) message as the real server.
 * @module
 */
import { JsonError, JsonReader, type JsonValue } from './json.ts'
import { unexpected } from './json-write.ts'

/** A decoded request envelope. `id` is undefined when absent or null (serde's None). */
export interface Envelope {
  jsonrpc: string
  method: string
  params: JsonValue
  id: JsonValue | undefined
}

const STRUCT = 'struct JsonRpcRequest'
const FIELDS = ['jsonrpc', 'method', 'params', 'id'] as const

/** serde_json's peek_invalid_type: consumes a scalar, then reports it against `expected`. */
function invalidType(r: JsonReader, expected: string, path: string): JsonError {
  const c = r.peek()
  let v: JsonValue
  if (c === 0x5b) v = []
  else if (c === 0x7b) v = Object.create(null) as JsonValue
  else if (c === 0x22 || c === 0x2d || c === 0x6e || c === 0x74 || c === 0x66 || (c >= 0x30 && c <= 0x39)) v = r.value(path)
  else return r.failPeek('expected value', path)
  return r.fail(`invalid type: ${unexpected(v)}, expected ${expected}`, path, r.i, true)
}

function stringField(r: JsonReader, path: string): string {
  const c = r.ws()
  if (c === -1) throw r.failPeek('EOF while parsing a value', path)
  if (c !== 0x22) throw invalidType(r, 'a string', path)
  r.i++
  return r.string(path)
}

function optionValue(r: JsonReader, path: string): JsonValue | undefined {
  if (r.ws() === 0x6e) {
    r.i++
    r.ident('ull', path)
    return undefined
  }
  return r.value(path)
}

/** A data error raised by the visitor itself: positioned after serde's end_map/end_seq ran. */
function visitorError(r: JsonReader, message: string, end: () => void): JsonError {
  try { end() } catch { /* serde evaluates end_* but reports the visitor's error */ }
  return r.fail(message, '', r.i, true)
}

function fromSeq(r: JsonReader): Envelope {
  r.enter('')
  r.i++
  const values: (JsonValue | undefined)[] = []
  for (let idx = 0; idx < FIELDS.length; idx++) {
    if (!r.seqNext(idx === 0, '')) {
      if (FIELDS[idx] === 'params') { values.push(null); continue }
      throw visitorError(r, `invalid length ${idx}, expected ${STRUCT} with 4 elements`, () => r.seqEnd(''))
    }
    const path = `[${idx}]`
    values.push(idx < 2 ? stringField(r, path) : idx === 2 ? r.value(path) : optionValue(r, path))
  }
  r.seqEnd('')
  r.leave()
  return { jsonrpc: values[0] as string, method: values[1] as string, params: values[2] as JsonValue, id: values[3] }
}

function fromMap(r: JsonReader): Envelope {
  r.enter('')
  r.i++
  const seen = new Set<string>()
  const out: Partial<Envelope> = {}
  for (let first = true; ; first = false) {
    const key = r.mapKey(first, '')
    if (key === undefined) break
    const known = (FIELDS as readonly string[]).includes(key)
    if (known && seen.has(key)) throw visitorError(r, `duplicate field \`${key}\``, () => r.mapEnd(''))
    seen.add(key)
    r.colon('')
    if (key === 'jsonrpc' || key === 'method') out[key] = stringField(r, key)
    else if (key === 'params') out.params = r.value(key)
    else if (key === 'id') out.id = optionValue(r, key)
    else r.value(key, true)
  }
  for (const field of ['jsonrpc', 'method'] as const) {
    if (out[field] === undefined) throw visitorError(r, `missing field \`${field}\``, () => r.mapEnd(''))
  }
  r.mapEnd('')
  r.leave()
  return { jsonrpc: out.jsonrpc as string, method: out.method as string, params: out.params ?? null, id: out.id }
}

/** Decodes a body; throws JsonError (category 'data' -> 422, else 400) with serde's message. */
export function decodeEnvelope(body: Uint8Array): Envelope {
  const r = new JsonReader(body)
  const c = r.ws()
  let env: Envelope
  if (c === -1) throw r.failPeek('EOF while parsing a value', '')
  else if (c === 0x7b) env = fromMap(r)
  else if (c === 0x5b) env = fromSeq(r)
  else throw invalidType(r, STRUCT, '')
  if (r.ws() !== -1) throw r.failPeek('trailing characters', '')
  return env
}

/** The text of an extractor rejection: `path: message` as serde_path_to_error prints it. */
export function rejectionText(e: JsonError): string {
  const prefix = e.category === 'data' ? 'Failed to deserialize the JSON body into the target type: ' : 'Failed to parse the request body as JSON: '
  return prefix + (e.path === '' ? e.message : `${e.path}: ${e.message}`)
}
