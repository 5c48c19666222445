/**
 * A command that reached its timeout: the server answers an opaque 500 (the local server adds a
 * `detail`); the client turns it into a result with `timedOut: true` and exit code 124.
 * @module
 */
import * as v from 'valibot'
import type { OutputLine } from '../types.ts'
import { OutputSchema } from './schemas.ts'
import type { CommandRun } from './types.ts'
import { tryParseJson, type WireReply } from './wire-error.ts'

const TIMEOUT_RE = /Command timeout after (\d+) seconds/i

/**
 * The timed-out result of a 500 from `sandbox.command.run`, or undefined when the 500 means something else:
 * a `detail` saying the command timed out, or an opaque 500 that came back after at least `timeoutSec`.
 * @example
 * const outcome = commandTimeoutOutcome({ status: 500, body, elapsedMs: 2004 }, 2)
 */
export function commandTimeoutOutcome(reply: WireReply, timeoutSec: number): CommandRun | undefined {
  if (reply.status !== 500) return undefined
  const json = tryParseJson(reply.body)
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined
  const body = json as Record<string, unknown>
  if (typeof body.error !== 'string') return undefined
  const detail = typeof body.detail === 'string' ? body.detail : undefined
  const match = detail === undefined ? undefined : TIMEOUT_RE.exec(detail)
  const opaqueAndLate = detail === undefined && (reply.elapsedMs ?? 0) >= timeoutSec * 1000
  if (!match && !opaqueAndLate) return undefined
  const seconds = match ? Number(match[1]) : timeoutSec
  const partial = v.safeParse(OutputSchema, body.output)
  const output: OutputLine[] = partial.success ? [...partial.output] : []
  output.push({ stream: 'stderr', text: `Error: Command timed out after ${seconds} seconds` })
  return { exitCode: 124, success: false, output, timedOut: true }
}
