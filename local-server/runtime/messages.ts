/**
 * Turns agent replies into the output lines users see, with the sentences that say what happened:
 * truncation, timeouts, interpreters that died and were restarted.
 * @module
 */
import { constants } from 'node:os'
import type { AgentReply } from './channel.ts'
import type { OutputLine, ReplLanguage } from './types.ts'

/** What the messages need to know about the sandbox. */
export interface MessageContext {
  memoryMib: number
  maxOutputBytes: number
  /** Whether the kernel OOM killer killed something in the sandbox during the call. */
  oom: boolean
  /** Whether it did between the previous REPL call and this one. */
  oomBefore: boolean
}

const signalNames = new Map(Object.entries(constants.signals).map(([name, n]) => [n, name]))

/**
 * Formats a byte count the way the truncation marker shows it.
 * @example formatBytes(10 * 1024 * 1024) // '10 MiB'
 */
export function formatBytes(bytes: number): string {
  const MiB = 1024 * 1024
  if (bytes % MiB === 0) return `${bytes / MiB} MiB`
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`
  return `${bytes} bytes`
}

/**
 * Converts the agent's `[stream, text]` pairs.
 * @example toLines([[0, 'hi']]) // [{ stream: 'stdout', text: 'hi' }]
 */
export function toLines(out: AgentReply['out']): OutputLine[] {
  return (out ?? []).map(([s, text]) => ({ stream: s === 0 ? 'stdout' : 'stderr', text }))
}

/**
 * The marker line appended when a call's output exceeded the cap.
 * @example truncated(1024 * 1024).text // '[output truncated: more than 1 MiB]'
 */
export function truncated(maxOutputBytes: number): OutputLine {
  return { stream: 'stderr', text: `[output truncated: more than ${formatBytes(maxOutputBytes)}]` }
}

/**
 * Says how a process ended: `was killed (out of memory: ...)`, `was killed by signal 6 (SIGABRT)`, `exited with code 1`.
 * @example describeEnd({ code: 1 }, ctx) // 'exited with code 1'
 */
export function describeEnd(end: { code?: number; signal?: number }, ctx: MessageContext): string {
  if (end.signal === undefined) return `exited with code ${end.code ?? 0}`
  if (end.signal === 9 && ctx.oom) return `was killed (out of memory: the sandbox limit is ${ctx.memoryMib} MiB)`
  return `was killed by signal ${end.signal} (${signalNames.get(end.signal) ?? 'unknown'})`
}

const interpreter = (language: ReplLanguage) => (language === 'python' ? 'python' : 'node')
const err = (text: string): OutputLine => ({ stream: 'stderr', text })

/**
 * The output of a REPL call.
 * @example replOutput(reply, 'python', 5, { memoryMib: 1024, maxOutputBytes: 10485760, oom: false, oomBefore: false })
 */
export function replOutput(reply: AgentReply, language: ReplLanguage, timeoutSec: number, ctx: MessageContext): OutputLine[] {
  const name = interpreter(language)
  const lines: OutputLine[] = []
  if (reply.lost) {
    lines.push(err(`Error: the ${name} interpreter ${describeEnd(reply.lost, { ...ctx, oom: ctx.oomBefore })} after the previous call; it was restarted and earlier state is lost`))
  }
  lines.push(...toLines(reply.out))
  if (reply.trunc) lines.push(truncated(ctx.maxOutputBytes))
  if (reply.error) lines.push(err(`Error: ${reply.error}`))
  if (reply.crash) lines.push(err(`Error: the ${name} interpreter ${describeEnd(reply.crash, ctx)}; it was restarted and earlier state is lost`))
  if (reply.timeout) {
    lines.push(err(`Error: the ${name} interpreter was stopped and restarted; earlier state is lost`))
    lines.push(err(`Error: Execution timed out after ${timeoutSec} seconds`))
  }
  return lines
}
