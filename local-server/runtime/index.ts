/**
 * The local server's sandbox runtime on Linux: bubblewrap sandboxes limited by cgroups (or
 * rlimits), each running a small agent that keeps the REPL interpreters and runs commands.
 * @module
 */
import { probeHost, type Host, type ProbeOverrides } from './host.ts'
import { launchSandbox } from './sandbox.ts'
import type { LaunchedSandbox, RuntimeOptions, SandboxRuntime, SandboxSpec } from './types.ts'

export * from './types.ts'

/**
 * Probes the host and returns a runtime; throws RuntimeUnavailableError when sandboxes cannot run.
 * @example
 * const runtime = await createRuntime({ stateDir: '/var/lib/msb', log: console.log })
 * const sandbox = await runtime.launch(spec)
 * await runtime.close()
 */
export async function createRuntime(options: RuntimeOptions): Promise<SandboxRuntime> {
  return runtimeOn(await probeHost(options))
}

/**
 * Like createRuntime with probe overrides (tests use `{ noCgroups: true }` to run the fallbacks).
 * @example const runtime = await createRuntimeWith({ stateDir }, { noCgroups: true })
 */
export async function createRuntimeWith(options: RuntimeOptions, overrides: ProbeOverrides): Promise<SandboxRuntime> {
  return runtimeOn(await probeHost(options, overrides))
}

function runtimeOn(host: Host): SandboxRuntime {
  const running = new Map<string, LaunchedSandbox>()
  const starting = new Map<string, Promise<unknown>>()
  let closed = false

  return {
    report: host.report,
    async launch(spec: SandboxSpec) {
      if (closed) throw new Error('the sandbox runtime is closed')
      if (running.has(spec.id) || starting.has(spec.id)) throw new Error(`sandbox id ${spec.id} is already running`)
      const launching = launchSandbox(spec, host)
      starting.set(spec.id, launching)
      try {
        const sandbox = await launching
        if (closed) {
          await sandbox.stop()
          throw new Error('the sandbox runtime is closed')
        }
        const stop = sandbox.stop
        const tracked: LaunchedSandbox = {
          ...sandbox,
          stop: () => stop().finally(() => running.delete(spec.id)),
        }
        sandbox.onExit(() => running.delete(spec.id))
        running.set(spec.id, tracked)
        return tracked
      } finally {
        starting.delete(spec.id)
      }
    },
    async close() {
      closed = true
      await Promise.allSettled([...starting.values()])
      await Promise.all([...running.values()].map((s) => s.stop()))
      await host.cgroups?.close()
    },
  }
}
