/**
 * What a failed fetch says about the network: the reason (ECONNREFUSED, ENOTFOUND, ...) and
 * whether the request could have reached the server. Works with Node, Bun, Deno and workerd errors.
 * @module
 */

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

/**
 * The innermost useful code or message of a network error, following `cause`.
 * @example
 * networkReason(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } })) // 'ECONNREFUSED'
 */
export function networkReason(error: unknown): string {
  let e: unknown = error
  let last = 'network error'
  for (let depth = 0; depth < 5 && isObject(e); depth++) {
    const o = e as { code?: unknown; message?: unknown; cause?: unknown }
    if (typeof o.code === 'string' && o.code !== '') return o.code
    if (typeof o.message === 'string' && o.message !== '') last = o.message
    if (o.cause === undefined) break
    e = o.cause
  }
  return last
}

/**
 * True when the request never reached the server: refused, or the name did not resolve.
 * @example
 * if (isConnectFailure(error)) retry()
 */
export function isConnectFailure(error: unknown): boolean {
  const reason = networkReason(error)
  return /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ConnectionRefused|connection refused|getaddrinfo|FailedToOpenSocket|dns/i.test(reason)
}
