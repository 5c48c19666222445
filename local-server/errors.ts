/**
 * The server's error model: each failure knows its HTTP status, its upstream code and the body
 * the real server sends (`{"error","code"}`), plus an optional `detail` (and partial `output`)
 * that the real server only logs.
 * @module
 */
import type { OutputLine } from './runtime/types.ts'

/** Kinds of failure, as upstream's ServerError variants. */
export type RpcErrorKind = 'validation' | 'internal' | 'forbidden'

/** A failure of one call; `message` is what the client sees, `detail` the real reason. */
export class RpcError extends Error {
  readonly kind: RpcErrorKind
  readonly detail: string | undefined
  readonly output: OutputLine[] | undefined
  constructor(kind: RpcErrorKind, message: string, detail?: string, output?: OutputLine[]) {
    super(message)
    this.name = 'RpcError'
    this.kind = kind
    this.detail = detail
    this.output = output
  }

  /** HTTP status of the plain error body. */
  get status(): number {
    return this.kind === 'validation' ? 400 : this.kind === 'forbidden' ? 403 : 500
  }

  /** The body: `{"error","code"}` in struct order, then `detail` and `output` when known. */
  body(): string {
    const code = this.kind === 'validation' ? 2001 : this.kind === 'forbidden' ? 3001 : 5002
    let s = `{"error":${JSON.stringify(this.message)},"code":${code}`
    if (this.detail !== undefined) s += `,"detail":${JSON.stringify(this.detail)}`
    if (this.output !== undefined) s += `,"output":${JSON.stringify(this.output.map((l) => ({ stream: l.stream, text: l.text })))}`
    return `${s}}`
  }

  /** Upstream's Display of the error (what MCP shows): "Validation error: ...", "Internal server error: ...". */
  display(): string {
    if (this.kind === 'validation') return `Validation error: ${this.message}`
    if (this.kind === 'forbidden') return 'Authorization failed: Access denied'
    return `Internal server error: ${this.detail ?? 'unknown error'}`
  }
}

/** A 400 with code 2001 and this exact message. */
export function validationError(message: string): RpcError {
  return new RpcError('validation', message)
}

/** The opaque 500 (`Internal server error`, 5002), with the real reason in `detail`. */
export function internalError(detail: string, output?: OutputLine[]): RpcError {
  return new RpcError('internal', 'Internal server error', detail, output)
}

/** Turns anything thrown into an RpcError (unexpected errors become opaque 500s). */
export function toRpcError(e: unknown): RpcError {
  if (e instanceof RpcError) return e
  return internalError(e instanceof Error ? e.message : String(e))
}
