/**
 * The contract between the local server's protocol layer (local-server/*.ts) and its sandbox
 * runtime (local-server/runtime/): the protocol layer validates requests, keeps the registry of
 * configured sandboxes and their persisted configs, and asks the runtime to launch, use and stop
 * real sandboxes.
 * @module
 */

/** One line of output, split on "\n" ("\r\n" stripped); a trailing partial line is kept. */
export interface OutputLine {
  stream: 'stdout' | 'stderr'
  text: string
}

/** The two images the local server runs. */
export type ImageName = 'microsandbox/python' | 'microsandbox/node'

/** A REPL language, normalised ('node' and 'javascript' are 'nodejs'). */
export type ReplLanguage = 'python' | 'nodejs'

/** A bind mount from the host into the sandbox. */
export interface VolumeSpec {
  /** Absolute host path. */
  hostPath: string
  /** Absolute path inside the sandbox. */
  guestPath: string
  readOnly: boolean
}

/** Everything needed to launch one sandbox. */
export interface SandboxSpec {
  /** Unique, filesystem- and cgroup-safe id of this sandbox (the protocol layer derives it from namespace and name). */
  id: string
  /** Human-readable name for logs and messages, e.g. "default/py1". */
  label: string
  image: ImageName
  /** Memory limit in MiB (the protocol default is 1024). */
  memoryMib: number
  /** CPU limit in whole CPUs (the protocol default is 1; 0 means 1). */
  cpus: number
  volumes: VolumeSpec[]
  /** "KEY=VALUE" strings, set for the REPLs and for commands. */
  envs: string[]
  /** Working directory of REPLs and commands inside the sandbox; "/workspace" by default. */
  workdir: string
  /** Host directory mounted writable at /workspace; created by the caller, kept for the sandbox's life. */
  workspaceDir: string
}

/** Raised by `command()` when the command could not run to completion. */
export class CommandFailure extends Error {
  /** `spawn`: not found / not executable; `timeout`: killed after its timeout. */
  readonly kind: 'spawn' | 'timeout'
  /** Output captured before the failure (timeouts only). */
  readonly output: OutputLine[]
  constructor(kind: 'spawn' | 'timeout', message: string, output: OutputLine[] = []) {
    super(message)
    this.name = 'CommandFailure'
    this.kind = kind
    this.output = output
  }
}

/** Resource usage of one running sandbox. */
export interface SandboxUsage {
  /** CPU use in percent of one CPU since the previous call (or since start on the first call). */
  cpuPercent: number
  /** Resident memory of all the sandbox's processes, in whole MiB (integer division). */
  memoryMib: number
  /** Bytes used in the sandbox's writable directories. */
  diskBytes: number
}

/** Why a sandbox ended without being asked to. */
export interface SandboxExit {
  code: number | null
  signal: string | null
  /** A sentence for logs and for the `detail` of later errors. */
  reason: string
}

/** A running sandbox. Every method may be called concurrently. */
export interface LaunchedSandbox {
  /** The host pid of the sandbox's outermost process. */
  readonly pid: number
  /**
   * Runs code in the language's persistent interpreter (started on first use if it is not the
   * image's own). Calls to one interpreter are serialized. On timeout the result ends with the
   * stderr line `Error: Execution timed out after N seconds`, the interpreter is restarted and a
   * stderr line says that state was lost. Never rejects for user-code problems.
   */
  repl(request: { language: ReplLanguage; code: string; timeoutSec: number }): Promise<{ output: OutputLine[] }>
  /** Runs a program directly (no shell). Rejects with CommandFailure on spawn failure or timeout. */
  command(request: { command: string; args: string[]; timeoutSec: number }): Promise<{ exitCode: number; output: OutputLine[] }>
  usage(): Promise<SandboxUsage>
  /** Stops every process of the sandbox; resolves once none is left. Idempotent. */
  stop(): Promise<void>
  /** Called once if the sandbox ends without `stop()` (crash, killed from outside). */
  onExit(listener: (exit: SandboxExit) => void): void
}

/** What the host allows, detected once at startup and printed in the startup log. */
export interface HostReport {
  bwrapPath: string
  pythonPath: string
  nodePath: string
  /** Host uid the sandbox processes run as (never 0). */
  sandboxUid: number
  sandboxGid: number
  /** How each limit is enforced. */
  limits: {
    memory: 'cgroup-v1' | 'cgroup-v2' | 'rlimit'
    cpu: 'cgroup-v1' | 'cgroup-v2' | 'affinity' | 'none'
    pids: 'cgroup-v1' | 'cgroup-v2' | 'rlimit'
  }
  /** One line per notable fact, for the startup log. */
  notes: string[]
}

/** The sandbox runtime: launches sandboxes and owns every process it started. */
export interface SandboxRuntime {
  readonly report: HostReport
  /** Launches a sandbox; resolves once it can execute (the image's interpreter is ready). */
  launch(spec: SandboxSpec): Promise<LaunchedSandbox>
  /** Stops every sandbox; no process outlives it. */
  close(): Promise<void>
}

/** Raised by `createRuntime` when the host cannot run sandboxes; the message says how to fix it. */
export class RuntimeUnavailableError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'RuntimeUnavailableError'
  }
}

/** Options of `createRuntime(options)`, exported by local-server/runtime/index.ts. */
export interface RuntimeOptions {
  /** The server's state directory; the runtime keeps its per-sandbox files below it. */
  stateDir: string
  /** Host uid/gid for sandbox processes when the server runs as root (default 64000). */
  sandboxUid?: number
  sandboxGid?: number
  /** Output cap of one call in bytes (default 10 MiB). */
  maxOutputBytes?: number
  /** Process cap per sandbox (default 256). */
  pidsMax?: number
  /** Receives one line per notable runtime event. */
  log?: (line: string) => void
}
