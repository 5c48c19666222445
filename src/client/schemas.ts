/**
 * Valibot schemas of the results a Microsandbox server promises, per method.
 * @module
 */
import * as v from 'valibot'
import type { OutputLine } from '../types.ts'

/** One `{stream, text}` output line. */
export const OutputLineSchema = v.object({ stream: v.picklist(['stdout', 'stderr']), text: v.string() })

/** True when `value` is an array of `{stream: 'stdout' | 'stderr', text: string}` lines. */
export function isOutputLines(value: unknown): value is OutputLine[] {
  if (!Array.isArray(value)) return false
  for (const line of value as unknown[]) {
    if (typeof line !== 'object' || line === null) return false
    const { stream, text } = line as { stream?: unknown; text?: unknown }
    if ((stream !== 'stdout' && stream !== 'stderr') || typeof text !== 'string') return false
  }
  return true
}

/**
 * An `output` array of lines, checked in place: outputs reach 10 MiB and hundreds of thousands of
 * lines, so the lines are checked without being copied.
 */
export const OutputSchema = v.custom<OutputLine[]>(isOutputLines, 'must be an array of {stream: "stdout" | "stderr", text: string} lines')

/**
 * `sandbox.repl.run`: `status` and `language` are ignored (always "success" and an echo). Checked
 * in place, like the lines: this runs on every execution.
 */
export const ReplResultSchema = v.custom<{ output: OutputLine[] }>(
  (r) => typeof r === 'object' && r !== null && isOutputLines((r as { output?: unknown }).output),
  'must be an object with "output": an array of {stream, text} lines',
)

/** `sandbox.command.run`, checked in place. */
export const CommandResultSchema = v.custom<{ exit_code: number; success: boolean; output: OutputLine[] }>((r) => {
  if (typeof r !== 'object' || r === null) return false
  const { exit_code: code, success, output } = r as { exit_code?: unknown; success?: unknown; output?: unknown }
  return Number.isInteger(code) && typeof success === 'boolean' && isOutputLines(output)
}, 'must be an object with "exit_code" (an integer), "success" (a boolean) and "output" (an array of {stream, text} lines)')

/** `sandbox.metrics.get`; items of v0.2.6 also carry `namespace`. */
export const MetricsResultSchema = v.object({
  sandboxes: v.array(v.object({
    name: v.string(),
    namespace: v.optional(v.string()),
    running: v.boolean(),
    cpu_usage: v.nullish(v.number()),
    memory_usage: v.nullish(v.number()),
    disk_usage: v.nullish(v.number()),
  })),
})

/** `sandbox.start` and `sandbox.stop` answer a message string. */
export const MessageResultSchema = v.string()

/** `GET /api/v1/health`. */
export const HealthSchema = v.object({ message: v.string() })
