/**
 * The five JSON-RPC methods over the manager, and the `/api/v1/rpc` envelope rules: version check
 * (400, -32600), unknown method (404, -32601), plain error bodies for everything else, `id`
 * echoed or omitted, result keys sorted.
 * @module
 */
import type { Envelope } from './envelope.ts'
import { RpcError, toRpcError, validationError } from './errors.ts'
import { isObject, type JsonValue } from './json.ts'
import { writeJson, type OutValue } from './json-write.ts'
import type { Manager } from './manager.ts'
import { DEFAULT_NAMESPACE, checkNamespace, checkSandboxName, decodeParams, paramDecoders, routePortal } from './params.ts'
import { decodeCommand, decodeRepl } from './portal.ts'

/** An HTTP answer: status and JSON body. */
export interface Reply { status: number; body: string }

/** One method: params in, result out; throws RpcError. */
export type Method = (params: JsonValue) => Promise<OutValue>

/** Builds the method table for one dialect (`strict` = v0.2.6, namespace required). */
export function createMethods(manager: Manager, strict: boolean): Map<string, Method> {
  const d = paramDecoders(strict)
  const namespaceOf = (ns: string | undefined, wildcard = false): string => {
    if (ns === undefined) return DEFAULT_NAMESPACE
    checkNamespace(ns, wildcard)
    return ns
  }
  return new Map<string, Method>([
    ['sandbox.start', async (params) => {
      const p = decodeParams('sandbox.start', d.start, params)
      checkSandboxName(p.sandbox)
      return manager.start(namespaceOf(p.namespace), p.sandbox, p.config)
    }],
    ['sandbox.stop', async (params) => {
      const p = decodeParams('sandbox.stop', d.stop, params)
      checkSandboxName(p.sandbox)
      return manager.stop(namespaceOf(p.namespace), p.sandbox)
    }],
    ['sandbox.metrics.get', async (params) => {
      const p = decodeParams('sandbox.metrics.get', d.metrics, params)
      if (p.sandbox !== undefined) checkSandboxName(p.sandbox)
      return manager.metrics(namespaceOf(p.namespace, true), p.sandbox, strict || p.namespace !== undefined)
    }],
    ['sandbox.repl.run', async (params) => {
      const route = routePortal(params, strict)
      manager.assertRunning(route.namespace, route.sandbox)
      return manager.repl(route.namespace, route.sandbox, decodeRepl(route.params))
    }],
    ['sandbox.command.run', async (params) => {
      const route = routePortal(params, strict)
      manager.assertRunning(route.namespace, route.sandbox)
      return manager.command(route.namespace, route.sandbox, decodeCommand(route.params))
    }],
  ])
}

/** `{"jsonrpc":"2.0","result"|"error":...,"id":...}` in struct order; id omitted when None. */
export function envelopeBody(kind: 'result' | 'error', value: string, id: JsonValue | undefined): string {
  return `{"jsonrpc":"2.0","${kind}":${value}${id === undefined ? '' : `,"id":${writeJson(id)}`}}`
}

/** A JSON-RPC error object body. */
export function rpcErrorBody(code: number, message: string, id: JsonValue | undefined): string {
  return envelopeBody('error', `{"code":${code},"message":${JSON.stringify(message)}}`, id)
}

/** v0.2.6: a token scoped to a namespace may only touch that namespace. */
export function checkScope(scope: string | undefined, method: string, params: JsonValue): void {
  if (scope === undefined || scope === '*') return
  const ns = isObject(params) ? params.namespace : undefined
  if (typeof ns !== 'string') throw validationError(`Missing or invalid 'namespace' in params for method '${method}'`)
  if (ns !== scope) throw new RpcError('forbidden', 'Access denied')
}

/** Handles one decoded `/api/v1/rpc` request. */
export async function handleRpc(methods: Map<string, Method>, env: Envelope, scope: string | undefined, log: (line: string) => void): Promise<Reply> {
  try {
    checkScope(scope, env.method, env.params)
  } catch (e) {
    const err = toRpcError(e)
    return { status: err.status, body: err.body() }
  }
  if (env.jsonrpc !== '2.0') return { status: 400, body: rpcErrorBody(-32600, 'Invalid or missing jsonrpc version field', env.id) }
  const method = methods.get(env.method)
  if (!method) return { status: 404, body: rpcErrorBody(-32601, `Method not found: ${env.method}`, env.id) }
  try {
    return { status: 200, body: envelopeBody('result', writeJson(await method(env.params)), env.id) }
  } catch (e) {
    const err = toRpcError(e)
    if (err.kind === 'internal') log(`${env.method} failed: ${err.detail ?? err.message}`)
    return { status: err.status, body: err.body() }
  }
}
