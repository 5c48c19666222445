/**
 * `createClient`: JSON-RPC 2.0 over `POST {serverUrl}/api/v1/rpc` to one Microsandbox server,
 * speaking both dialects (namespace sent always; upstream HEAD ignores it, v0.2.6 requires it).
 * @module
 */
import * as v from 'valibot'
import { createError } from '../errors.ts'
import type { OutputLine } from '../types.ts'
import { commandTimeoutOutcome } from './command-timeout.ts'
import type { RetryPolicy } from './retry.ts'
import { CommandResultSchema, HealthSchema, MessageResultSchema, MetricsResultSchema, ReplResultSchema } from './schemas.ts'
import { createTransport } from './transport.ts'
import type { CallOptions, ClientOptions, CommandRun, MicrosandboxClient, SandboxMetrics, StartConfig } from './types.ts'
import { errorFromWire, tryParseJson, type WireContext, type WireReply } from './wire-error.ts'

export type * from './types.ts'
export { errorFromResponse, errorFromWire, type WireContext, type WireFailure, type WireReply } from './wire-error.ts'

/** Deadline of health checks without one. */
export const HEALTH_TIMEOUT_MS = 5_000
/** Deadline of stop and metrics without one. */
export const DEFAULT_TIMEOUT_MS = 30_000

/** Whole seconds for the server's `timeout`: at least 1, rounded up. */
function wholeSeconds(timeoutSec: number): number {
  if (!Number.isFinite(timeoutSec) || timeoutSec <= 0) {
    throw createError('VALIDATION_ERROR', `timeout must be a positive number of seconds, got ${timeoutSec}`, {
      details: { issues: [{ path: 'timeout', message: 'must be a positive number of seconds' }] },
    })
  }
  return Math.ceil(timeoutSec)
}

/** `config` of sandbox.start: integers, arrays only when non-empty, never null. */
function startConfig(config: StartConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { image: config.image, memory: Math.round(config.memory), cpus: Math.round(config.cpus) }
  if (config.volumes && config.volumes.length > 0) out.volumes = config.volumes
  if (config.envs && config.envs.length > 0) out.envs = config.envs
  if (config.workdir) out.workdir = config.workdir
  return out
}

function call(options: Partial<CallOptions> | undefined, timeoutMs: number): CallOptions {
  return { timeoutMs: options?.timeoutMs ?? timeoutMs, signal: options?.signal }
}

/**
 * Makes a client of one server. Create it once per server and reuse it: URLs and headers are
 * computed here, not per call.
 * @example
 * const client = createClient({ serverUrl: 'http://127.0.0.1:5555', apiKey, namespace: 'default' })
 * await client.startSandbox('msbe-1', { image: 'microsandbox/python', memory: 1024, cpus: 1 }, { timeoutMs: 180_000 })
 * const { output } = await client.runRepl('msbe-1', 'python', 'print(1)', 30, { timeoutMs: 35_000 })
 */
export function createClient(options: ClientOptions): MicrosandboxClient {
  const transport = createTransport(options)
  const { namespace } = options
  const wire = transport.wire
  let seq = 0

  /** Validates a 200 answer's `result`, or throws what errorFromWire makes of it. */
  function result<S extends v.GenericSchema>(method: string, reply: WireReply, schema: S, ctx: WireContext): v.InferOutput<S> {
    const json = tryParseJson(reply.body)
    if (reply.status !== 200 || typeof json !== 'object' || json === null || !('result' in json)) {
      throw errorFromWire(method, reply, ctx)
    }
    const parsed = v.safeParse(schema, json.result)
    if (parsed.success) return parsed.output
    const issue = parsed.issues[0]
    const path = v.getDotPath(issue)
    throw errorFromWire(method, reply, { ...ctx, problem: `result${path ? `.${path}` : ''}: ${issue.message}` })
  }

  /** Sends one JSON-RPC request (not async itself: one promise less per call on the hot path). */
  function post(method: string, params: Record<string, unknown>, opts: CallOptions, policy: RetryPolicy): Promise<WireReply> {
    return transport.rpc(method, JSON.stringify({ jsonrpc: '2.0', method, params, id: ++seq }), opts, policy)
  }

  return {
    serverUrl: transport.serverUrl,

    async health(options) {
      const reply = await transport.health(call(options, HEALTH_TIMEOUT_MS))
      if (reply.status !== 200) throw errorFromWire('health', reply, wire)
      const parsed = v.safeParse(HealthSchema, tryParseJson(reply.body))
      if (!parsed.success) throw errorFromWire('health', reply, { ...wire, problem: 'expected {"message": "..."}' })
      return { latencyMs: reply.elapsedMs ?? 0 }
    },

    async startSandbox(name, config, opts) {
      const params = { sandbox: name, namespace, config: startConfig(config) }
      return result('sandbox.start', await post('sandbox.start', params, opts, 'connect'), MessageResultSchema, wire)
    },

    async stopSandbox(name, options) {
      result('sandbox.stop', await post('sandbox.stop', { sandbox: name, namespace }, call(options, DEFAULT_TIMEOUT_MS), 'safe'), MessageResultSchema, wire)
    },

    async metrics(name, options) {
      const params = name === undefined ? { namespace } : { sandbox: name, namespace }
      const { sandboxes } = result('sandbox.metrics.get', await post('sandbox.metrics.get', params, call(options, DEFAULT_TIMEOUT_MS), 'safe'), MetricsResultSchema, wire)
      return sandboxes.map((s): SandboxMetrics => ({
        name: s.name,
        ...(s.namespace === undefined ? {} : { namespace: s.namespace }),
        running: s.running,
        cpuUsage: s.cpu_usage ?? null,
        memoryUsage: s.memory_usage ?? null,
        diskUsage: s.disk_usage ?? null,
      }))
    },

    async runRepl(name, language, code, timeoutSec, opts) {
      const params = { sandbox: name, namespace, language, code, timeout: wholeSeconds(timeoutSec) }
      const { output } = result('sandbox.repl.run', await post('sandbox.repl.run', params, opts, 'never'), ReplResultSchema, wire)
      return { output }
    },

    async runCommand(name, command, args, timeoutSec, opts): Promise<CommandRun> {
      const timeout = wholeSeconds(timeoutSec)
      const params: Record<string, unknown> = { sandbox: name, namespace, command }
      if (args.length > 0) params.args = args
      params.timeout = timeout
      const reply = await post('sandbox.command.run', params, opts, 'never')
      if (reply.status === 500) {
        const timedOut = commandTimeoutOutcome(reply, timeout)
        if (timedOut) return timedOut
      }
      const r = result('sandbox.command.run', reply, CommandResultSchema, { ...wire, command })
      return { exitCode: r.exit_code, success: r.success, output: r.output, timedOut: false }
    },
  }
}
