/**
 * The calls that read or use running sandboxes: metrics, repl and command. A call on a sandbox
 * that is not running fails at once with upstream's opaque 500 (`No portal port assigned ...`),
 * with the reason it died in `detail` when the runtime reported one.
 * @module
 */
import { internalError } from './errors.ts'
import { JsonNumber } from './json.ts'
import type { OutValue } from './json-write.ts'
import { effectiveTimeout, type CommandRequest, type ReplRequest } from './portal.ts'
import type { ConfigStore, StoredSandbox } from './store.ts'
import { CommandFailure, type LaunchedSandbox } from './runtime/types.ts'

/** What the calls need from the manager. */
export interface CallsDeps {
  store: ConfigStore
  strict: boolean
  maxTimeout: number
  configured(ns: string, fatal: boolean): Promise<StoredSandbox[]>
  lookup(ns: string, name: string): { sandbox: LaunchedSandbox } | undefined
  exitReason(ns: string, name: string): string | undefined
}

/** metrics / repl / command over the registry. */
export type SandboxCalls = ReturnType<typeof createSandboxCalls>

/** Creates the calls bound to one registry. */
export function createSandboxCalls(deps: CallsDeps) {
  const { store, maxTimeout, configured, lookup, exitReason } = deps

  async function item(ns: string, name: string, withNamespace: boolean): Promise<OutValue> {
    const entry = lookup(ns, name)
    const base = withNamespace ? { name, namespace: ns } : { name }
    const idle = { ...base, running: false, cpu_usage: null, memory_usage: null, disk_usage: null }
    if (!entry) return idle
    try {
      const u = await entry.sandbox.usage()
      const cpu = new JsonNumber(Math.round(u.cpuPercent * 100) / 100, true, '')
      return { ...base, running: true, cpu_usage: cpu, memory_usage: Math.floor(u.memoryMib), disk_usage: Math.floor(u.diskBytes) }
    } catch {
      return lookup(ns, name) ? { ...idle, running: true } : idle
    }
  }

  /** sandbox.metrics.get: every configured sandbox of the namespace (or `*`), or the named one. */
  async function metrics(ns: string, name: string | undefined, withNamespace: boolean): Promise<OutValue> {
    const items: OutValue[] = []
    const namespaces = ns === '*' ? await store.namespaces() : [ns]
    for (const n of namespaces) {
      let entries: StoredSandbox[]
      try {
        entries = await configured(n, true)
      } catch (e) {
        if (ns === '*') continue
        throw e
      }
      const selected = name === undefined ? entries : entries.filter((e) => e.name === name)
      if (name !== undefined && selected.length === 0 && ns !== '*') throw internalError(`sandbox not found: '${name}'`)
      for (const e of selected) items.push(await item(n, e.name, withNamespace || ns === '*'))
    }
    return { sandboxes: items }
  }

  function running(ns: string, name: string): LaunchedSandbox {
    const entry = lookup(ns, name)
    if (entry) return entry.sandbox
    const died = exitReason(ns, name)
    throw internalError(`No portal port assigned for sandbox ${name}${died ? ` (the sandbox ended unexpectedly: ${died})` : ''}`)
  }

  function failure(ns: string, name: string, what: string, e: unknown) {
    const died = exitReason(ns, name)
    const message = e instanceof Error ? e.message : String(e)
    return internalError(`${what}: ${message}${died ? ` (the sandbox ended unexpectedly: ${died})` : ''}`)
  }

  /** sandbox.repl.run on a running sandbox. */
  async function repl(ns: string, name: string, req: ReplRequest): Promise<OutValue> {
    const sandbox = running(ns, name)
    try {
      const r = await sandbox.repl({ language: req.normalized, code: req.code, timeoutSec: effectiveTimeout(req.timeout, maxTimeout) })
      return { language: req.language, output: r.output.map((l) => ({ stream: l.stream, text: l.text })), status: 'success' }
    } catch (e) {
      throw failure(ns, name, 'Failed to execute code', e)
    }
  }

  /** sandbox.command.run on a running sandbox; spawn failures and timeouts are opaque 500s. */
  async function command(ns: string, name: string, req: CommandRequest): Promise<OutValue> {
    const sandbox = running(ns, name)
    const timeoutSec = effectiveTimeout(req.timeout, maxTimeout)
    try {
      const r = await sandbox.command({ command: req.command, args: req.args, timeoutSec })
      const output = r.output.map((l) => ({ stream: l.stream, text: l.text }))
      return { args: req.args, command: req.command, exit_code: r.exitCode, output, success: r.exitCode === 0 }
    } catch (e) {
      if (e instanceof CommandFailure && e.kind === 'spawn') throw internalError(`Failed to spawn command: Failed to spawn command: ${e.message}`)
      if (e instanceof CommandFailure) throw internalError(`Command timeout after ${timeoutSec} seconds`, e.output)
      throw failure(ns, name, 'Failed to run command', e)
    }
  }

  /** Throws the opaque 500 unless the sandbox is running (upstream's port lookup). */
  function assertRunning(ns: string, name: string): void {
    running(ns, name)
  }

  return { metrics, repl, command, assertRunning }
}
