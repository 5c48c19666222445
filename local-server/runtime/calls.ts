/**
 * `repl()` and `command()` of a sandbox: requests to the agent, replies turned into results,
 * CommandFailure for spawn failures and timeouts.
 * @module
 */
import type { AgentChannel } from './channel.ts'
import { describeEnd, replOutput, toLines, truncated } from './messages.ts'
import { CommandFailure, type LaunchedSandbox, type OutputLine } from './types.ts'

/** What the calls need besides the channel. */
export interface CallContext {
  memoryMib: number
  maxOutputBytes: number
  /** Reads the sandbox's OOM-kill counter (null without cgroups). */
  oomKills: (() => Promise<number>) | null
}

/** A timeout for the agent: seconds, or null for none (negative, NaN or infinite). */
const agentTimeout = (sec: number) => (Number.isFinite(sec) && sec > 0 ? sec : null)

/**
 * Builds the two execution methods of a LaunchedSandbox.
 * @example const { repl, command } = createCalls(channel, { memoryMib: 1024, maxOutputBytes: 10485760, oomKills: null })
 */
export function createCalls(channel: AgentChannel, ctx: CallContext): Pick<LaunchedSandbox, 'repl' | 'command'> {
  let oomSeen = 0
  /** True when the OOM killer struck since the last look. */
  const newOom = async () => {
    if (!ctx.oomKills) return false
    const now = await ctx.oomKills()
    const fresh = now > oomSeen
    oomSeen = now
    return fresh
  }

  return {
    async repl({ language, code, timeoutSec }) {
      if (language !== 'python' && language !== 'nodejs') throw new Error(`unsupported language: ${String(language)}`)
      if (timeoutSec === 0) return { output: [{ stream: 'stderr', text: 'Error: Execution timed out after 0 seconds' }] }
      const reply = await channel.request({ t: 'repl', lang: language, code, timeout: agentTimeout(timeoutSec) })
      const oom = reply.crash || reply.lost ? await newOom() : false
      const messages = { memoryMib: ctx.memoryMib, maxOutputBytes: ctx.maxOutputBytes, oom, oomBefore: oom }
      return { output: replOutput(reply, language, timeoutSec, messages) }
    },

    async command({ command, args, timeoutSec }) {
      if (timeoutSec === 0) throw new CommandFailure('timeout', 'Command timeout after 0 seconds')
      const reply = await channel.request({ t: 'cmd', cmd: command, args, timeout: agentTimeout(timeoutSec) })
      if (reply.error) throw new Error(reply.error)
      if (reply.spawn) throw new CommandFailure('spawn', reply.spawn)
      const output: OutputLine[] = toLines(reply.out)
      if (reply.trunc) output.push(truncated(ctx.maxOutputBytes))
      if (reply.timeout) throw new CommandFailure('timeout', `Command timeout after ${timeoutSec} seconds`, output)
      const exitCode = reply.exit ?? 1
      if (exitCode === 137 && (await newOom())) {
        const text = `[the command ${describeEnd({ signal: 9 }, { memoryMib: ctx.memoryMib, maxOutputBytes: ctx.maxOutputBytes, oom: true, oomBefore: true })}]`
        output.push({ stream: 'stderr', text })
      }
      return { exitCode, output }
    },
  }
}
