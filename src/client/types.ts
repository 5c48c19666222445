/**
 * The transport to one Microsandbox server: JSON-RPC 2.0 over `POST {serverUrl}/api/v1/rpc`.
 * @module
 */
import type { OutputLine } from '../types.ts'

/** Options of `createClient`. */
export interface ClientOptions {
  /** Base URL of the server, e.g. "http://127.0.0.1:5555" (no trailing slash needed). */
  serverUrl: string
  /** API key ("msb_..."), sent as `Authorization: Bearer <key>` when set. */
  apiKey?: string | undefined
  /** Namespace sent with every call (ignored by upstream HEAD, required by v0.2.6). */
  namespace: string
  /** The fetch to use; defaults to a wrapper around `globalThis.fetch`. */
  fetch?: typeof fetch | undefined
}

/** Per-call options. */
export interface CallOptions {
  /** Client-side deadline of the whole call, retries included. */
  timeoutMs: number
  /** Aborts the call early. */
  signal?: AbortSignal | undefined
}

/** What `sandbox.start` sends as `config`. Arrays are omitted when empty, never null. */
export interface StartConfig {
  image: string
  memory: number
  cpus: number
  volumes?: string[] | undefined
  envs?: string[] | undefined
  workdir?: string | undefined
}

/** One item of `sandbox.metrics.get`, camelCased. Usage fields are null when not running. */
export interface SandboxMetrics {
  name: string
  namespace?: string | undefined
  running: boolean
  cpuUsage: number | null
  memoryUsage: number | null
  diskUsage: number | null
}

/** The result of `sandbox.command.run`; `timedOut` when the server killed it at its timeout. */
export interface CommandRun {
  exitCode: number
  success: boolean
  output: OutputLine[]
  timedOut: boolean
}

/**
 * A client of one server. Every method has a client-side deadline. Errors are SandboxErrors:
 * BACKEND_UNAVAILABLE (connection refused, DNS), BACKEND_TIMEOUT (deadline passed),
 * UNAUTHORIZED (401 from the server: the MSB_API_KEY is wrong), VALIDATION_ERROR (400 / 2001),
 * COMMAND_NOT_FOUND (the server said the command could not be spawned), BACKEND_ERROR (the rest,
 * with `details: { method, httpStatus, serverCode?, serverMessage?, detail? }`).
 * Safe calls (health, metrics, stop, and a start that never reached the server) are retried with
 * backoff and jitter within the deadline; executions never are.
 */
export interface MicrosandboxClient {
  readonly serverUrl: string
  /** `GET /api/v1/health`; resolves with the round-trip time. */
  health(options?: Partial<CallOptions>): Promise<{ latencyMs: number }>
  /** `sandbox.start`; resolves with the server's message (a "was started, but ..." text included). */
  startSandbox(name: string, config: StartConfig, options: CallOptions): Promise<string>
  /** `sandbox.stop`. */
  stopSandbox(name: string, options?: Partial<CallOptions>): Promise<void>
  /** `sandbox.metrics.get` for one sandbox, or for all in the namespace when `name` is omitted. */
  metrics(name?: string, options?: Partial<CallOptions>): Promise<SandboxMetrics[]>
  /** `sandbox.repl.run`; `timeoutSec` is sent to the server (whole seconds). */
  runRepl(name: string, language: string, code: string, timeoutSec: number, options: CallOptions): Promise<{ output: OutputLine[] }>
  /** `sandbox.command.run`; a command timeout resolves with `timedOut: true` and exit code 124. */
  runCommand(name: string, command: string, args: string[], timeoutSec: number, options: CallOptions): Promise<CommandRun>
}
