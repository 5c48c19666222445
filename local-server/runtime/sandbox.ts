/**
 * One running sandbox: prepares its directories and cgroup, starts bubblewrap with the agent,
 * waits until the image's interpreter is ready, and owns the process tree until `stop()`.
 * @module
 */
import { spawn } from 'node:child_process'
import { chmod, mkdir, readFile, rm } from 'node:fs/promises'
import { posix } from 'node:path'
import { agentSources } from './agent/sources.ts'
import { bwrapArgs } from './bwrap.ts'
import { createAgentChannel } from './channel.ts'
import { createCalls } from './calls.ts'
import { handOver, prepareBindSource } from './fs-access.ts'
import { agentCommand, type Host } from './host.ts'
import { JOIN_FAILED, launcher } from './launcher.ts'
import { checkSpec, prepareWorkdir, sandboxEnv } from './spec.ts'
import type { LaunchedSandbox, SandboxExit, SandboxSpec } from './types.ts'
import { createUsageMeter, processTree } from './usage.ts'

const READY_TIMEOUT_MS = 30_000

/** The agent's configuration (parsed by agent.py's main()). */
function agentConfig(spec: SandboxSpec, host: Host): string {
  const cpus = Math.max(1, Math.ceil(spec.cpus))
  return JSON.stringify({
    image: spec.image === 'microsandbox/node' ? 'nodejs' : 'python',
    maxBytes: host.maxOutputBytes,
    maxLines: Math.max(1000, Math.floor(host.maxOutputBytes / 16)),
    node: host.node.path,
    nodeArgs: ['--expose-internals', `--max-old-space-size=${Math.max(32, Math.floor(spec.memoryMib * 0.75))}`],
    nodeWorker: agentSources().nodeWorker,
    ...(host.cgroups
      ? {}
      : { rlimits: { as: Math.max(spec.memoryMib, 1024) * 1024 * 1024, nproc: host.pidsMax * 16 }, cpus }),
  })
}

/** Waits until none of `pids` is alive (gone or a zombie). */
async function waitGone(pids: number[]): Promise<void> {
  for (let round = 0; round < 500; round++) {
    const states = await Promise.all(pids.map((p) => readFile(`/proc/${p}/stat`, 'utf8').catch(() => '')))
    if (states.every((s) => s === '' || s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3) === 'Z')) return
    await new Promise((r) => setTimeout(r, 10))
  }
}

/**
 * Launches a sandbox; resolves once its image's interpreter is ready.
 * @example const sandbox = await launchSandbox(spec, host)
 */
export async function launchSandbox(spec: SandboxSpec, host: Host): Promise<LaunchedSandbox> {
  checkSpec(spec)
  const runDir = `${host.runtimeDir}/${spec.id}`
  const workdir = posix.normalize(spec.workdir || '/workspace')
  await rm(runDir, { recursive: true, force: true })
  await mkdir(`${runDir}/tmp`, { recursive: true })
  await chmod(`${runDir}/tmp`, 0o1777)
  await handOver(`${runDir}/tmp`, host.access)
  await handOver(spec.workspaceDir, host.access)
  for (const v of spec.volumes) await prepareBindSource(v.hostPath, v.readOnly, host.access)
  const workdirBind = await prepareWorkdir(spec, workdir, runDir, host.access)
  const limits = { memoryMib: spec.memoryMib, cpus: spec.cpus, pidsMax: host.pidsMax }
  const cgroup = host.cgroups ? await host.cgroups.create(spec.id, limits, host.user) : null

  const mounts = { tmpDir: `${runDir}/tmp`, workspaceDir: spec.workspaceDir, volumes: spec.volumes, workdir, workdirBind, env: sandboxEnv(spec.envs, host.path) }
  const setpriv = host.cgroups && !host.cgroups.unprivilegedJoin ? host.setpriv : null
  const bwrap = bwrapArgs(host.layout, mounts, agentCommand(host, agentConfig(spec, host)))
  const { file, args, ...as } = launcher({ bwrap: host.bwrap, user: host.user, procsFiles: cgroup?.procsFiles ?? [], setpriv }, bwrap)
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }, ...as })
  const log = (line: string) => host.log(`[sandbox ${spec.label}] ${line}`)
  const channel = createAgentChannel(child.stdin, child.stdout, child.stderr, log)
  const pid = child.pid ?? 0

  let stopping = false
  let tree: number[] = []
  const listeners: ((exit: SandboxExit) => void)[] = []
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }))
    child.on('error', (e) => {
      log(`could not start: ${e.message}`)
      resolve({ code: null, signal: null })
    })
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
  let alive = true
  void exited.then(() => {
    alive = false
  })
  const kill = () => {
    try {
      if (alive) process.kill(-pid, 'SIGKILL')
    } catch {}
  }
  /** Kills the sandbox's init (pid 1 inside) first: the kernel ends the whole pid namespace and the
   * outer bubblewrap exits by itself, so nothing is orphaned; the outer process group is the fallback. */
  const end = async () => {
    tree = await processTree(pid)
    const inner = tree[1]
    try {
      if (inner !== undefined) process.kill(inner, 'SIGKILL')
    } catch {}
    const timer = setTimeout(kill, inner === undefined ? 0 : 1000)
    await exited
    clearTimeout(timer)
  }

  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      channel.ready,
      exited.then(() => Promise.reject(new Error('the sandbox exited during start-up'))),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`not ready after ${READY_TIMEOUT_MS / 1000} seconds`)), READY_TIMEOUT_MS)
      }),
    ])
  } catch (cause) {
    stopping = true
    kill()
    await finished
    const detail = channel.recentErrors().slice(-5).join(' | ')
    throw new Error(`could not start sandbox ${spec.label}: ${(cause as Error).message}${detail ? `: ${detail}` : ''}`, { cause })
  } finally {
    clearTimeout(timer)
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
