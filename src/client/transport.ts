/**
 * One HTTP exchange with a server, with a deadline and bounded retries: the injected fetch,
 * URLs and headers computed once per client.
 * @module
 */
import type { CallOptions, ClientOptions } from './types.ts'
import { backoffDelay, sleep, type RetryPolicy } from './retry.ts'
import { isConnectFailure } from './network.ts'
import { errorFromWire, timeoutError, type WireContext, type WireReply } from './wire-error.ts'

/** The longest deadline timers accept (2^31 - 1 ms). */
const MAX_TIMEOUT_MS = 2_147_483_647
/** Gateway answers worth another attempt on a safe call. */
const RETRY_STATUSES = new Set([502, 503, 504])

/** Sends requests to one server. */
export interface Transport {
  readonly serverUrl: string
  /** The context errors are made with (server URL, the key to redact). */
  readonly wire: WireContext
  /** `POST /api/v1/rpc` with a JSON body. */
  rpc(method: string, body: string, options: CallOptions, policy: RetryPolicy): Promise<WireReply>
  /** `GET /api/v1/health`. */
  health(options: CallOptions): Promise<WireReply>
}

/**
 * Clamps a deadline to what timers accept; at least 1 ms.
 * @example
 * clampTimeout(Infinity) // 2147483647
 */
export function clampTimeout(timeoutMs: number): number {
  if (Number.isNaN(timeoutMs)) return MAX_TIMEOUT_MS
  return Math.min(MAX_TIMEOUT_MS, Math.max(1, Math.ceil(timeoutMs)))
}

/**
 * Makes the transport of one server.
 * @example
 * const t = createTransport({ serverUrl: 'http://127.0.0.1:5555', namespace: 'default' })
 */
export function createTransport(options: ClientOptions): Transport {
  const serverUrl = options.serverUrl.trim().replace(/\/+$/, '')
  const rpcUrl = `${serverUrl}/api/v1/rpc`
  const healthUrl = `${serverUrl}/api/v1/health`
  const injected = options.fetch
  // Wrapped, never stored and called as a method: workerd throws "Illegal invocation" otherwise.
  const fetchFn: typeof fetch = injected ?? ((input, init) => globalThis.fetch(input, init))
  const postHeaders: Record<string, string> = { 'content-type': 'application/json' }
  if (options.apiKey) postHeaders.authorization = `Bearer ${options.apiKey}`
  const getHeaders: Record<string, string> = { accept: 'application/json' }
  const wire: WireContext = { serverUrl, apiKey: options.apiKey || undefined }

  async function send(
    label: string, url: string, method: 'GET' | 'POST', body: string | undefined, call: CallOptions, policy: RetryPolicy,
  ): Promise<WireReply> {
    const timeoutMs = clampTimeout(call.timeoutMs)
    // A timer cleared when the call ends (AbortSignal.timeout would keep one alive per call for the whole deadline).
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(new DOMException('The deadline passed', 'TimeoutError')), timeoutMs)
    const deadline = controller.signal
    const signal = call.signal ? AbortSignal.any([call.signal, deadline]) : deadline
    const endAt = Date.now() + timeoutMs
    try {
      for (let attempt = 1; ; attempt++) {
        let reply: WireReply | undefined
        let failure: unknown
        try {
          const started = Date.now()
          const init: RequestInit = { method, headers: method === 'POST' ? postHeaders : getHeaders, signal }
          if (body !== undefined) init.body = body
          const res = await fetchFn(url, init)
          reply = { status: res.status, contentType: res.headers.get('content-type'), body: await res.text(), elapsedMs: Date.now() - started }
        } catch (error) {
          if (deadline.aborted) throw timeoutError(label, timeoutMs, serverUrl, error)
          if (call.signal?.aborted) throw call.signal.reason
          failure = error
        }
        const retry = reply === undefined
          ? policy === 'safe' || (policy === 'connect' && isConnectFailure(failure))
          : policy === 'safe' && RETRY_STATUSES.has(reply.status)
        const delay = retry ? backoffDelay(attempt, endAt - Date.now()) : undefined
        if (delay === undefined) {
          if (reply !== undefined) return reply
          throw errorFromWire(label, { networkError: failure }, wire)
        }
        await sleep(delay, signal)
        if (deadline.aborted) throw timeoutError(label, timeoutMs, serverUrl, failure)
        if (call.signal?.aborted) throw call.signal.reason
      }
    } finally {
      clearTimeout(timer)
    }
  }

  return {
    serverUrl,
    wire,
    rpc: (method, body, call, policy) => send(method, rpcUrl, 'POST', body, call, policy),
    health: (call) => send('health', healthUrl, 'GET', undefined, call, 'safe'),
  }
}
