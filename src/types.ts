/**
 * Public data types of the SDK: results, sessions, stats, volumes.
 * @module
 */

/** One line of output, in the order the server sent it. */
export interface OutputLine {
  stream: 'stdout' | 'stderr'
  text: string
}

/** Resource flavors: CPUs and MiB of memory of a session's sandbox. */
export const FLAVORS = {
  small: { cpus: 1, memoryMb: 1024 },
  medium: { cpus: 2, memoryMb: 2048 },
  large: { cpus: 4, memoryMb: 4096 },
} as const

/** A flavor name. */
export type Flavor = keyof typeof FLAVORS

/** What a session carries over every execution: identity and the fate of its sandbox. */
interface ResultBase {
  /** The session the call ran in; pass it back to keep state. */
  sessionId: string
  /** Every output line, stdout and stderr, in order. */
  output: OutputLine[]
  /** The stdout lines joined with "\n", never trimmed. */
  stdout: string
  /** The stderr lines joined with "\n", never trimmed. */
  stderr: string
  success: boolean
  /** The call reached its timeout (the server stopped it). */
  timedOut: boolean
  /** Wall time of the execution itself, without sandbox creation. */
  executionTimeMs: number
  /** This call made a new session. */
  sessionCreated: boolean
  /** The session existed but its sandbox was gone, so a fresh one was made: earlier state is lost. */
  sessionRecreated: boolean
}

/** The result of `executeCode`. `success` is false when the code raised an uncaught error or timed out. */
export interface ExecutionResult extends ResultBase {
  template: string
}

/** The result of `executeCommand`. `success` is `exitCode === 0`. */
export interface CommandResult extends ResultBase {
  /** The exit code; 124 when the command timed out (as coreutils `timeout` reports). */
  exitCode: number
  command: string
  args: string[]
}

/** Where a session stands. `running` while it executes. */
export type SessionStatus = 'creating' | 'ready' | 'running'

/** What `getSessions` tells about a session. */
export interface SessionInfo {
  sessionId: string
  template: string
  flavor: Flavor
  status: SessionStatus
  createdAt: string
  lastAccessedAt: string
  expiresAt: string
  namespace: string
  sandboxName: string
  serverUrl: string
}

/** What `getResourceStats` reports, from the session store. */
export interface ResourceStats {
  activeSessions: number
  maxSessions: number
  sessionsByFlavor: Record<Flavor, number>
  totalMemoryMb: number
  totalCpus: number
  uptimeSeconds: number
}

/** One shared volume mapping, attached to every sandbox. */
export interface VolumeMapping {
  hostPath: string
  containerPath: string
  readOnly: boolean
}

/** A template: the OCI image the server runs and the REPL language it speaks. */
export interface TemplateSpec {
  image: string
  language: string
}
