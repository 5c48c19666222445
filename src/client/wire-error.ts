/**
 * Wire -> error, in one function: every way a Microsandbox server (or what stands at its URL)
 * can fail a call becomes one SandboxError. Messages never carry the API key.
 * @module
 */
import { createError, type ErrorCode, type SandboxError } from '../errors.ts'
import { networkReason } from './network.ts'

/** An HTTP answer, its body read as text. */
export interface WireReply {
  status: number
  contentType?: string | null | undefined
  body: string
  /** Time from sending the request to having the whole body. */
  elapsedMs?: number | undefined
}

/** A request that got no HTTP answer (connection refused, DNS, reset, TLS). */
export interface WireFailure {
  networkError: unknown
}

/** What the caller knows about the call. */
export interface WireContext {
  serverUrl?: string | undefined
  /** Redacted from every message and detail. */
  apiKey?: string | undefined
  /** The command of `sandbox.command.run`, for COMMAND_NOT_FOUND. */
  command?: string | undefined
  /** Why a 2xx body was rejected (the schema issue), for BACKEND_ERROR. */
  problem?: string | undefined
}

const AUTH_SUGGESTION = 'Set MSB_API_KEY to a key minted for this server (msb server keygen, or the local server\'s keygen), or run the server with --dev.'
const MAX_SNIPPET = 300

/**
 * Parses JSON, or undefined.
 * @example
 * tryParseJson('{"a":1}') // { a: 1 }; tryParseJson('<html>') // undefined
 */
export function tryParseJson(text: string): unknown {
  if (text === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * The BACKEND_TIMEOUT of a call whose client-side deadline passed.
 * @example
 * throw timeoutError('sandbox.repl.run', 1000, 'http://127.0.0.1:5555')
 */
export function timeoutError(method: string, timeoutMs: number, serverUrl?: string, cause?: unknown): SandboxError {
  return createError('BACKEND_TIMEOUT', `The sandbox server did not answer ${method} within ${timeoutMs} ms`, {
    details: { method, timeoutMs, ...(serverUrl ? { serverUrl } : {}) },
    cause,
  })
}

/**
 * Turns a failed call into a SandboxError: `{error, code}` bodies (1001/1004, 3001, 2001, 5002),
 * JSON-RPC error envelopes (-32600, -32601), text/plain rejections (400/413/415/422), empty 404s,
 * network failures and bodies that are not what the protocol promises.
 * @example
 * throw errorFromWire('sandbox.stop', { status: 500, body: '{"error":"Internal server error","code":5002}' })
 */
export function errorFromWire(method: string, source: WireReply | WireFailure, ctx: WireContext = {}): SandboxError {
  const redact = (s: string): string => (ctx.apiKey ? s.split(ctx.apiKey).join('[redacted]') : s)
  const clip = (s: string): string => redact(s.length > MAX_SNIPPET ? `${s.slice(0, MAX_SNIPPET)}...` : s)
  const at = ctx.serverUrl ? ` at ${ctx.serverUrl}` : ''
  const make = (code: ErrorCode, message: string, details: Record<string, unknown>, suggestion?: string): SandboxError =>
    createError(code, redact(message), { details, ...(suggestion ? { suggestion } : {}), ...('networkError' in source ? { cause: source.networkError } : {}) })

  if ('networkError' in source) {
    const reason = clip(networkReason(source.networkError))
    return make('BACKEND_UNAVAILABLE', `Cannot reach the sandbox server${at} (${reason}) for ${method}: is it running, and does MSB_SERVER_URL point to it?`,
      { method, serverUrl: ctx.serverUrl, reason })
  }

  const { status } = source
  const text = source.body.trim()
  const json = tryParseJson(text)
  const base: Record<string, unknown> = { method, httpStatus: status }

  if (isObject(json) && isObject(json.error) && typeof json.error.code === 'number') {
    const rpcCode = json.error.code
    const serverMessage = clip(typeof json.error.message === 'string' ? json.error.message : '')
    const details = { ...base, rpcCode, serverMessage }
    if (rpcCode === -32601) {
      return make('BACKEND_ERROR', `The server${at} does not know the method ${method} ("${serverMessage}"): it speaks another dialect of the protocol or is not a Microsandbox server. Check MSB_SERVER_URL and the server version.`, details)
    }
    if (rpcCode === -32600) {
      return make('BACKEND_ERROR', `The server${at} rejected the JSON-RPC envelope of ${method} ("${serverMessage}"): it speaks another dialect of the protocol.`, details)
    }
    return make('BACKEND_ERROR', `The server${at} failed ${method}: ${serverMessage} (JSON-RPC error ${rpcCode})`, details)
  }

  if (isObject(json) && typeof json.error === 'string') {
    const serverMessage = clip(json.error)
    const serverCode = typeof json.code === 'number' ? json.code : undefined
    const detail = typeof json.detail === 'string' ? clip(json.detail) : undefined
    const details = { ...base, serverCode, serverMessage, ...(detail === undefined ? {} : { detail }) }
    if (serverCode === 1001 || serverCode === 1004 || (serverCode === undefined && status === 401)) {
      const why = ctx.apiKey ? 'rejected the API key' : 'requires an API key and none is set'
      return make('UNAUTHORIZED', `The sandbox server${at} ${why} ("${serverMessage}"): check MSB_API_KEY.`, details, AUTH_SUGGESTION)
    }
    if (serverCode === 3001 || (serverCode === undefined && status === 403)) {
      return make('FORBIDDEN', `The sandbox server${at} denied ${method} ("${serverMessage}"): the API key is scoped to another namespace; check MSB_API_KEY and MSB_NAMESPACE.`,
        details, 'Use a key minted for this namespace (or for "*"), or change MSB_NAMESPACE.')
    }
    if (serverCode === 2001 || (serverCode === undefined && status === 400)) {
      return make('VALIDATION_ERROR', `The sandbox server rejected ${method}: ${serverMessage}`, details)
    }
    const why = detail ? `${serverMessage}: ${detail}` : serverMessage
    if (method === 'sandbox.command.run' && detail && /Failed to spawn command/i.test(detail)) {
      const command = ctx.command ?? 'the command'
      return make('COMMAND_NOT_FOUND', `Command '${command}' could not be started: it was not found or is not executable (${detail})`,
        { ...details, command: ctx.command })
    }
    if (method === 'sandbox.start') {
      return make('SANDBOX_START_FAILED', `The sandbox server${at} failed to start the sandbox (HTTP ${status}: ${why})`, details)
    }
    return make('BACKEND_ERROR', `The sandbox server${at} failed ${method} (HTTP ${status}: ${why})`, details)
  }

  const snippet = clip(text)
  const details = { ...base, ...(snippet ? { body: snippet } : {}) }
  if (status === 413) {
    return make('PAYLOAD_TOO_LARGE', `The sandbox server refused the request of ${method} as too large (HTTP 413: ${snippet || 'no body'})`, details)
  }
  if (text === '' && (status === 404 || status === 405)) {
    return make('BACKEND_ERROR', `The server${at} answered HTTP ${status} with no body for ${method}: wrong path, or not a Microsandbox server. Check MSB_SERVER_URL (the base URL, without /api/v1).`, details)
  }
  if (status === 401) return make('UNAUTHORIZED', `The sandbox server${at} refused the request (HTTP 401): check MSB_API_KEY.`, details, AUTH_SUGGESTION)
  if (status === 403) return make('FORBIDDEN', `The sandbox server${at} refused the request (HTTP 403): check MSB_API_KEY and MSB_NAMESPACE.`, details)
  if (status === 502 || status === 503 || status === 504) {
    return make('BACKEND_UNAVAILABLE', `The sandbox server${at} is unavailable (HTTP ${status}${snippet ? `: ${snippet}` : ''}) for ${method}`, { ...details, serverUrl: ctx.serverUrl })
  }
  if (status >= 400 && status < 500 && json === undefined && text !== '') {
    return make('BACKEND_ERROR', `The sandbox server${at} rejected the request of ${method} (HTTP ${status}: ${snippet}): it expects another request format.`, details)
  }
  if (status >= 200 && status < 300) {
    const problem = ctx.problem ? ` (${ctx.problem})` : ''
    return make('BACKEND_ERROR', `The server${at} answered ${method} with a body that is not what the Microsandbox protocol promises${problem}${snippet ? `: ${snippet}` : ''}`,
      { ...details, ...(ctx.problem ? { problem: ctx.problem } : {}) })
  }
  return make(method === 'sandbox.start' && status >= 500 ? 'SANDBOX_START_FAILED' : 'BACKEND_ERROR',
    `The server${at} answered ${method} with HTTP ${status}${snippet ? `: ${snippet}` : ''}`, details)
}

/**
 * Reads a real `Response` and turns it into the error of `errorFromWire`.
 * @example
 * const error = await errorFromResponse('sandbox.start', await fetch(url, init))
 */
export async function errorFromResponse(method: string, response: Response, ctx?: WireContext): Promise<SandboxError> {
  const body = await response.text()
  return errorFromWire(method, { status: response.status, contentType: response.headers.get('content-type'), body }, ctx)
}
