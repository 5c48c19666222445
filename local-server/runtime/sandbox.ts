/**
 * One running sandbox: starts bubblewrap with the agent, waits until the image's interpreter is
 * ready, and owns the process tree until `stop()` (or until it ends by itself, then `onExit`).
 * @module
 */
import { spawn } from 'node:child_process'
import { readFile, rm } from 'node:fs/promises'
import { createCalls } from './calls.ts'
import { createAgentChannel } from './channel.ts'
import type { Host } from './host.ts'
import { JOIN_FAILED } from './launcher.ts'
import { prepareSandbox } from './prepare.ts'
import type { LaunchedSandbox, SandboxExit, SandboxSpec } from './types.ts'
import { createUsageMeter, processTree } from './usage.ts'

const READY_TIMEOUT_MS = 30_000

/** Waits until none of `pids` runs any more (gone or a zombie). */
async function waitGone(pids: number[]): Promise<void> {
  for (let round = 0; round < 500; round++) {
    const states = await Promise.all(pids.map((p) => readFile(`/proc/${p}/stat`, 'utf8').catch(() => '')))
    if (states.every((s) => s === '' || s[s.lastIndexOf(')') + 2] === 'Z')) return
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** Rejects after `ms` with `message`; the timer is cleared by the returned `clear`. */
function deadline(ms: number, message: string): { promise: Promise<never>; clear: () => void } {
  let timer: NodeJS.Timeout | undefined
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms)
  })
  return { promise, clear: () => clearTimeout(timer) }
}

/**
 * Launches a sandbox; resolves once its image's interpreter is ready.
 * @example const sandbox = await launchSandbox(spec, host)
 */
export async function launchSandbox(spec: SandboxSpec, host: Host): Promise<LaunchedSandbox> {
  const { runDir, cgroup, command } = await prepareSandbox(spec, host)
  const { file, args, ...user } = command
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }, ...user })
  const log = (line: string) => host.log(`[sandbox ${spec.label}] ${line}`)
  const channel = createAgentChannel(child.stdin, child.stdout, child.stderr, log)
  const pid = child.pid ?? 0

  let stopping = false
  let alive = pid > 0
  let tree: number[] = []
  const listeners: ((exit: SandboxExit) => void)[] = []
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }))
    child.on('error', (e) => {
      log(`could not start: ${e.message}`)
      resolve({ code: null, signal: null })
    })
  }).finally(() => {
    alive = false
  })
  const finished = exited.then(async ({ code, signal }) => {
    const how = signal ? `killed by ${signal}` : code === JOIN_FAILED && cgroup ? 'could not join its cgroup' : `exit code ${code}`
    const oom = cgroup && (await cgroup.oomKills()) > 0 ? `; out of memory: the sandbox limit is ${spec.memoryMib} MiB` : ''
    const reason = stopping ? `sandbox ${spec.label} was stopped` : `sandbox ${spec.label} ended unexpectedly (${how}${oom})`
    channel.failAll(new Error(reason))
    await (cgroup ? cgroup.destroy() : waitGone(tree))
    await rm(runDir, { recursive: true, force: true })
    return { code, signal, reason }
  })
  const killGroup = () => {
    try {
      if (alive) process.kill(-pid, 'SIGKILL')
    } catch {}
  }
  /** Kills the sandbox's init (pid 1 inside) first: the kernel ends its whole pid namespace and the
   * outer bubblewrap exits by itself, orphaning nothing; the outer process group is the fallback. */
  const end = async () => {
    tree = await processTree(pid)
    const inner = tree[1]
    try {
      if (inner !== undefined) process.kill(inner, 'SIGKILL')
    } catch {}
    const fallback = setTimeout(killGroup, inner === undefined ? 0 : 1000)
    await exited
    clearTimeout(fallback)
  }

  const limit = deadline(READY_TIMEOUT_MS, `not ready after ${READY_TIMEOUT_MS / 1000} seconds`)
  try {
    await Promise.race([channel.ready, exited.then(() => Promise.reject(new Error('the sandbox exited during start-up'))), limit.promise])
  } catch (cause) {
    stopping = true
    killGroup()
    await finished
    const detail = channel.recentErrors().slice(-5).join(' | ')
    throw new Error(`could not start sandbox ${spec.label}: ${(cause as Error).message}${detail ? `: ${detail}` : ''}`, { cause })
  } finally {
    limit.clear()
  }
  void finished.then((exit) => {
    if (stopping) return
    log(exit.reason)
    for (const listener of listeners.splice(0)) listener(exit)
  })

  let stopped: Promise<void> | null = null
  return {
    pid,
    ...createCalls(channel, { memoryMib: spec.memoryMib, maxOutputBytes: host.maxOutputBytes, oomKills: cgroup ? () => cgroup.oomKills() : null }),
    usage: createUsageMeter({
      pids: cgroup ? () => cgroup.pids() : () => processTree(pid),
      cpuNanos: cgroup ? () => cgroup.cpuNanos() : async () => null,
      diskDirs: [spec.workspaceDir, runDir],
    }),
    stop() {
      stopped ??= (async () => {
        stopping = true
        if (alive) await end()
        await finished
      })()
      return stopped
    },
    onExit(listener) {
      listeners.push(listener)
    },
  }
}
