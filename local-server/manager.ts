/**
 * Configured vs running sandboxes per namespace, with upstream's semantics (reference §4.1-4.3,
 * §5): start replaces or reuses the stored config and never restarts a running sandbox; stop and
 * metrics distinguish "no project", "no Sandboxfile" and "unknown name". The runtime does the
 * real work; this module owns the registry, the per-sandbox locks and the workspaces.
 * @module
 */
import { mkdir, rm } from 'node:fs/promises'
import { internalError, validationError } from './errors.ts'
import type { StartConfig } from './params.ts'
import { buildSpec } from './spec.ts'
import { createConfigStore, type StoredSandbox } from './store.ts'
import type { LaunchedSandbox, SandboxRuntime, SandboxSpec } from './runtime/types.ts'
import { createSandboxCalls, type SandboxCalls } from './calls.ts'

/** Options of createManager. */
export interface ManagerOptions {
  stateDir: string
  runtime: SandboxRuntime
  /** v0.2.6 wording of the stop/metrics errors. */
  strict: boolean
  /** Server cap on repl/command timeouts, in seconds. */
  maxTimeout: number
  /** Host directories (real paths) volumes may come from, besides each namespace's project dir. */
  volumeRoots?: readonly string[]
  log: (line: string) => void
}

/** A running sandbox and the spec it was launched with. */
export interface RunningEntry { sandbox: LaunchedSandbox; spec: SandboxSpec }

/** The sandbox registry of one server. */
export type Manager = ReturnType<typeof createManager>

/** Creates the registry; nothing runs until `start`. */
export function createManager(options: ManagerOptions) {
  const { stateDir, runtime, strict, log } = options
  const store = createConfigStore(stateDir)
  const running = new Map<string, RunningEntry>()
  const exitReasons = new Map<string, string>()
  const locks = new Map<string, Promise<unknown>>()
  const keyOf = (ns: string, name: string) => `${ns}/${name}`

  function locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = locks.get(key) ?? Promise.resolve()
    const next = previous.then(fn, fn)
    const settled = next.catch(() => undefined)
    locks.set(key, settled)
    void settled.then(() => { if (locks.get(key) === settled) locks.delete(key) })
    return next
  }

  async function launch(ns: string, name: string, config: StartConfig): Promise<void> {
    const key = keyOf(ns, name)
    await store.ensureProject(ns)
    const spec = buildSpec({ namespace: ns, name, config, projectDir: store.projectDir(ns), stateDir, volumeRoots: options.volumeRoots ?? [] })
    await mkdir(spec.workspaceDir, { recursive: true })
    let sandbox: LaunchedSandbox
    try {
      sandbox = await runtime.launch(spec)
    } catch (e) {
      await rm(spec.workspaceDir, { recursive: true, force: true }).catch(() => undefined)
      throw internalError(`Failed to start sandbox ${name}: ${e instanceof Error ? e.message : String(e)}`)
    }
    const entry: RunningEntry = { sandbox, spec }
    running.set(key, entry)
    exitReasons.delete(key)
    sandbox.onExit((exit) => {
      if (running.get(key) !== entry) return
      running.delete(key)
      exitReasons.set(key, exit.reason)
      log(`sandbox ${spec.label} ended unexpectedly: ${exit.reason}`)
      void rm(spec.workspaceDir, { recursive: true, force: true }).catch(() => undefined)
    })
    log(`sandbox ${spec.label} started (${spec.image}, ${spec.memoryMib} MiB, ${spec.cpus} CPU)`)
  }

  async function start(ns: string, name: string, config: StartConfig | undefined): Promise<string> {
    await store.ensureProject(ns)
    const hasImage = config?.image !== undefined
    if (!hasImage) {
      const entries = await store.read(ns)
      if (!entries) throw validationError(`No configuration provided and no existing configuration found for sandbox '${name}'`)
      if (!entries.some((e) => e.name === name)) throw validationError(`Sandbox '${name}' not found in existing configuration`)
    }
    return locked(keyOf(ns, name), async () => {
      if (config && hasImage) await store.put(ns, name, config)
      if (!running.has(keyOf(ns, name))) {
        const entry = ((await store.read(ns)) ?? []).find((e) => e.name === name) as StoredSandbox
        await launch(ns, name, entry.config)
      }
      return `Sandbox ${name} started successfully`
    })
  }

  /** Resolves the stored entries for stop/metrics, with the dialect's messages. */
  async function configured(ns: string, fatal: boolean): Promise<StoredSandbox[]> {
    const fail = (message: string) => (fatal ? internalError(message) : validationError(message))
    if (!(await store.projectExists(ns))) throw fail(strict ? `Namespace directory '${ns}' does not exist` : 'Project directory does not exist')
    const entries = await store.read(ns)
    if (!entries) {
      if (fatal) throw internalError(`microsandbox config file not found at: ${store.sandboxfilePath(ns)}`)
      throw validationError(strict ? `Configuration file not found for namespace '${ns}'` : 'Configuration file not found')
    }
    return entries
  }

  async function stop(ns: string, name: string): Promise<string> {
    const entries = await configured(ns, false)
    if (!entries.some((e) => e.name === name)) {
      throw internalError(`Failed to stop sandbox ${name}: cannot find sandbox: '${name}' in '${store.sandboxfilePath(ns)}'`)
    }
    const key = keyOf(ns, name)
    const early = running.get(key)
    running.delete(key)
    return locked(key, async () => {
      const late = running.get(key)
      running.delete(key)
      for (const entry of new Set([early, late])) {
        if (!entry) continue
        await entry.sandbox.stop()
        await rm(entry.spec.workspaceDir, { recursive: true, force: true })
        log(`sandbox ${entry.spec.label} stopped`)
      }
      return `Sandbox ${name} stopped successfully`
    })
  }

  async function close(): Promise<void> {
    const entries = [...running.values()]
    running.clear()
    await Promise.allSettled(entries.map((e) => e.sandbox.stop()))
    await runtime.close()
    await Promise.allSettled(entries.map((e) => rm(e.spec.workspaceDir, { recursive: true, force: true })))
  }

  const calls: SandboxCalls = createSandboxCalls({
    store, strict, maxTimeout: options.maxTimeout, configured,
    lookup: (ns, name) => running.get(keyOf(ns, name)),
    exitReason: (ns, name) => exitReasons.get(keyOf(ns, name)),
  })

  return { start, stop, close, ...calls, runningCount: () => running.size }
}
