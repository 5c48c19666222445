/**
 * A tiny serde-like deserializer over parsed JSON (serde_json::from_value semantics): struct
 * fields visited in sorted key order, missing fields reported in declaration order, and serde's
 * exact wording ("invalid type: ..., expected u8", "missing field `sandbox`").
 * @module
 */
import { JsonNumber, isObject, type JsonValue } from './json.ts'
import { unexpected } from './json-write.ts'

/** A serde data error (no position: from_value never has one). */
export class DeError extends Error {}

/** Deserializes one value or throws DeError. */
export type De<T> = (v: JsonValue) => T

/** One struct field: how it deserializes and what happens when it is absent. */
export interface Field {
  key: string
  de: De<unknown>
  /** required: "missing field"; none: undefined (Option); default: the `def` value. */
  missing: 'required' | 'none' | 'default'
  def?: () => unknown
  /** False for fields we accept by name only (not part of the upstream struct's sequence form). */
  seq?: boolean
}

/** Throws serde's invalid-type error. */
export function invalidType(v: JsonValue, expected: string): never {
  throw new DeError(`invalid type: ${unexpected(v)}, expected ${expected}`)
}

/** A String. */
export const str: De<string> = (v) => (typeof v === 'string' ? v : invalidType(v, 'a string'))

const MAX = { u8: 255n, u32: 4294967295n, u64: 18446744073709551615n } as const

/** An unsigned integer of the given width (floats and negatives rejected like serde). */
export function uint(kind: keyof typeof MAX): De<number> {
  return (v) => {
    if (!(v instanceof JsonNumber) || v.float) return invalidType(v, kind)
    const n = BigInt(v.int)
    if (n < 0n || n > MAX[kind]) throw new DeError(`invalid value: integer \`${v.int}\`, expected ${kind}`)
    return v.value
  }
}

/** Option<T>: null is None. */
export function opt<T>(de: De<T>): De<T | undefined> {
  return (v) => (v === null ? undefined : de(v))
}

/** Vec<T>; `nullAsEmpty` mirrors upstream HEAD's deserialize_null_default. */
export function seq<T>(de: De<T>, nullAsEmpty: boolean): De<T[]> {
  return (v) => {
    if (v === null && nullAsEmpty) return []
    return Array.isArray(v) ? v.map(de) : invalidType(v, 'a sequence')
  }
}

/** HashMap<String, String>. */
export function strMap(nullAsEmpty: boolean): De<Record<string, string>> {
  return (v) => {
    if (v === null && nullAsEmpty) return {}
    if (!isObject(v)) return invalidType(v, 'a map')
    const out: Record<string, string> = {}
    for (const k of Object.keys(v).sort()) out[k] = str(v[k] as JsonValue)
    return out
  }
}

function absent(f: Field, onMissing: () => never): unknown {
  if (f.missing === 'required') return onMissing()
  return f.missing === 'default' && f.def ? f.def() : undefined
}

/** A struct (map or sequence form), like serde's derived Deserialize. */
export function struct<T>(name: string, fields: Field[]): De<T> {
  const positional = fields.filter((f) => f.seq !== false)
  const expecting = `struct ${name} with ${positional.length} element${positional.length === 1 ? '' : 's'}`
  return (v) => {
    const out: Record<string, unknown> = {}
    if (isObject(v)) {
      for (const key of Object.keys(v).sort()) {
        const f = fields.find((x) => x.key === key)
        if (f) out[key] = f.de(v[key] as JsonValue)
      }
      for (const f of fields) {
        if (!(f.key in out)) out[f.key] = absent(f, () => { throw new DeError(`missing field \`${f.key}\``) })
      }
      return out as T
    }
    if (!Array.isArray(v)) return invalidType(v, `struct ${name}`)
    positional.forEach((f, i) => {
      if (i < v.length) out[f.key] = f.de(v[i] as JsonValue)
      else out[f.key] = absent(f.missing === 'none' ? { ...f, missing: 'required' } : f, () => { throw new DeError(`invalid length ${i}, expected ${expecting}`) })
    })
    if (v.length > positional.length) throw new DeError(`invalid length ${v.length}, expected fewer elements in array`)
    return out as T
  }
}
