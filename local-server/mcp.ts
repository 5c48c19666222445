/**
 * Upstream's `POST /mcp` (reference §10): plain JSON-RPC over one POST, every reply HTTP 200,
 * tools mapped onto the same methods as `/api/v1/rpc`. Invalid tool arguments answer an
 * `isError` result instead of upstream's panic.
 * @module
 */
import type { Envelope } from './envelope.ts'
import { RpcError, toRpcError } from './errors.ts'
import { isObject, type JsonValue } from './json.ts'
import { writeJson, writePretty, type OutValue } from './json-write.ts'
import { McpMethodError, mcpPrompt, mcpPrompts, mcpTools } from './mcp-catalog.ts'
import { checkScope, envelopeBody, rpcErrorBody, type Method, type Reply } from './rpc.ts'

const TOOLS: Record<string, { method: string; forwarded: boolean; failure: string }> = {
  sandbox_start: { method: 'sandbox.start', forwarded: false, failure: 'Sandbox start failed' },
  sandbox_stop: { method: 'sandbox.stop', forwarded: false, failure: 'Sandbox stop failed' },
  sandbox_get_metrics: { method: 'sandbox.metrics.get', forwarded: false, failure: 'Get metrics failed' },
  sandbox_run_code: { method: 'sandbox.repl.run', forwarded: true, failure: '' },
  sandbox_run_command: { method: 'sandbox.command.run', forwarded: true, failure: '' },
}

const INITIALIZE = {
  capabilities: { prompts: { listChanged: false }, tools: { listChanged: false } },
  protocolVersion: '2024-11-05',
  serverInfo: { name: 'microsandbox-server', version: '0.2.6' },
}

const text = (t: string, isError = false): OutValue => ({ content: [{ text: t, type: 'text' }], isError: isError ? true : undefined })

/** Serde failures of start/stop/metrics arguments read "Invalid parameters: ..." here. */
function toolFailure(e: RpcError, failure: string): string {
  const prefix = /^Invalid params for [^:]+: /.exec(e.message)
  return prefix ? `Invalid parameters: ${e.message.slice(prefix[0].length)}` : `${failure}: ${e.display()}`
}

async function callTool(methods: Map<string, Method>, params: JsonValue, scope: string | undefined): Promise<{ result: OutValue } | { reply: Reply }> {
  if (!isObject(params)) throw new McpMethodError("Validation error: Request parameters must be an object")
  const name = params.name
  if (typeof name !== 'string') throw new McpMethodError("Validation error: Missing required 'name' parameter")
  const args = params.arguments
  if (args === undefined) throw new McpMethodError("Validation error: Missing required 'arguments' parameter")
  const tool = TOOLS[name]
  if (!tool || !Object.hasOwn(TOOLS, name)) throw new McpMethodError(`Resource not found: Tool '${name}' not found`)
  try {
    checkScope(scope, 'tools/call', args)
  } catch (e) {
    const err = toRpcError(e)
    return { reply: { status: err.status, body: err.body() } }
  }
  try {
    return { result: text(writePretty(await (methods.get(tool.method) as Method)(args))) }
  } catch (e) {
    const err = toRpcError(e)
    if (tool.forwarded) throw err
    return { result: text(`Error: ${toolFailure(err, tool.failure)}`, true) }
  }
}

/** Handles one decoded `/mcp` request; `body: ''` is the empty reply to a notification. */
export async function handleMcp(methods: Map<string, Method>, strict: boolean, env: Envelope, scope: string | undefined): Promise<Reply> {
  const ok = (result: OutValue): Reply => ({ status: 200, body: envelopeBody('result', writeJson(result), env.id) })
  if (env.jsonrpc !== '2.0') return { status: 200, body: rpcErrorBody(-32600, 'Invalid or missing jsonrpc version field', env.id) }
  try {
    switch (env.method) {
      case 'initialize': return ok(INITIALIZE)
      case 'notifications/initialized': return { status: 200, body: '' }
      case 'tools/list': return ok({ tools: mcpTools(strict) })
      case 'prompts/list': return ok({ prompts: mcpPrompts(strict) })
      case 'prompts/get': return ok(mcpPrompt(env.params))
      case 'tools/call': {
        const r = await callTool(methods, env.params, scope)
        return 'reply' in r ? r.reply : ok(r.result)
      }
      default: throw new McpMethodError(`Resource not found: MCP method '${env.method}' not found`)
    }
  } catch (e) {
    if (e instanceof McpMethodError) return { status: 200, body: rpcErrorBody(-32603, `MCP method error: ${e.message}`, env.id) }
    return { status: 200, body: rpcErrorBody(-32603, `Internal error: ${toRpcError(e).display()}`, env.id) }
  }
}
