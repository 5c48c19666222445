/**
 * Validation of every public input at the boundary, with valibot. A failure is a
 * VALIDATION_ERROR carrying the issues; code over the server's 2 MiB body limit is PAYLOAD_TOO_LARGE.
 * @module
 */
import * as v from 'valibot'
import { createError } from './errors.ts'
import { FLAVORS, type Flavor } from './types.ts'

/** The server's body limit (axum's default). */
export const SERVER_BODY_LIMIT = 2 * 1024 * 1024
/** Room kept for the JSON-RPC envelope around the code. */
const ENVELOPE_BYTES = 1024

const NoControl = v.regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters')

/** A session id: 1-256 characters, no control characters. */
export const SessionIdSchema = v.pipe(v.string('must be a string'), v.minLength(1, 'must not be empty'), v.maxLength(256, 'must be at most 256 characters'), NoControl)
/** A flavor name. */
export const FlavorSchema = v.picklist(Object.keys(FLAVORS) as Flavor[], 'must be one of small, medium, large')
/** A timeout in whole seconds. */
export const TimeoutSchema = v.pipe(v.number('must be a number'), v.integer('must be a whole number of seconds'), v.minValue(1, 'must be at least 1 second'), v.maxValue(86_400, 'must be at most 86400 seconds'))

const Common = {
  template: v.optional(v.pipe(v.string('must be a string'), v.minLength(1, 'must not be empty'))),
  sessionId: v.optional(SessionIdSchema),
  flavor: v.optional(FlavorSchema),
  timeout: v.optional(TimeoutSchema),
  principal: v.optional(v.string('must be a string')),
  signal: v.optional(v.instance(AbortSignal, 'must be an AbortSignal')),
}

/** Options of `executeCode`. */
export const ExecuteCodeOptionsSchema = v.strictObject(Common, 'is not a known option')
/** Options of `executeCommand`. */
export const ExecuteCommandOptionsSchema = v.strictObject(
  { ...Common, args: v.optional(v.array(v.pipe(v.string('must be a string'), v.regex(/^[^\u0000]*$/, 'must not contain NUL')), 'must be an array of strings')) },
  'is not a known option',
)

/** Options of `executeCode`, as users pass them. */
export type ExecuteCodeOptions = v.InferInput<typeof ExecuteCodeOptionsSchema>
/** Options of `executeCommand`, as users pass them. */
export type ExecuteCommandOptions = v.InferInput<typeof ExecuteCommandOptionsSchema>

/**
 * Parses `input` with `schema` or throws a VALIDATION_ERROR listing every issue with its path.
 * @example
 * const opts = parseInput(ExecuteCodeOptionsSchema, options ?? {}, 'options')
 */
export function parseInput<S extends v.GenericSchema>(schema: S, input: unknown, what: string): v.InferOutput<S> {
  const result = v.safeParse(schema, input)
  if (result.success) return result.output
  const issues = result.issues.map((issue) => ({ path: [what, ...(issue.path ?? []).map((p) => String(p.key))].join('.'), message: issue.message }))
  throw createError('VALIDATION_ERROR', `Invalid ${what}: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`, { details: { issues } })
}

/**
 * Checks code (or a command) is a non-empty string that fits in one server request.
 * @example
 * checkSource(code, 'code')
 */
export function checkSource(source: unknown, what: 'code' | 'command'): string {
  if (typeof source !== 'string') throw createError('VALIDATION_ERROR', `Invalid ${what}: must be a string`, { details: { issues: [{ path: what, message: 'must be a string' }] } })
  if (source.trim() === '') throw createError('VALIDATION_ERROR', `Invalid ${what}: must not be empty`, { details: { issues: [{ path: what, message: 'must not be empty' }] } })
  if (what === 'command' && source.includes('\u0000')) throw createError('VALIDATION_ERROR', 'Invalid command: must not contain NUL', { details: { issues: [{ path: what, message: 'must not contain NUL' }] } })
  // Fast path: even at 6 bytes per character (worst-case JSON escaping) it fits.
  if (source.length * 6 + ENVELOPE_BYTES <= SERVER_BODY_LIMIT) return source
  const bytes = new TextEncoder().encode(JSON.stringify(source)).length + ENVELOPE_BYTES
  if (bytes > SERVER_BODY_LIMIT) {
    throw createError('PAYLOAD_TOO_LARGE', `The ${what} is ${bytes} bytes once encoded; the server accepts at most ${SERVER_BODY_LIMIT} bytes per request`, {
      details: { bytes, limit: SERVER_BODY_LIMIT },
    })
  }
  return source
}
