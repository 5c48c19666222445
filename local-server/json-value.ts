/**
 * Parsed JSON values as serde_json sees them: numbers keep the integer/float distinction, errors
 * carry serde's category (syntax, eof, data) and the serde_path_to_error path.
 * @module
 */

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

