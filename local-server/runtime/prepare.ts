/**
 * Everything a sandbox needs before its process starts: the private directory (`<runtime>/<id>`
 * with /tmp), the workspace and volumes usable by the sandbox uid, the working directory, the
 * cgroup, and the command line (bubblewrap + agent).
 * @module
 */
import { chmod, mkdir, rm } from 'node:fs/promises'
import { posix } from 'node:path'
import { agentSources } from './agent/sources.ts'
import { bwrapArgs } from './bwrap.ts'
import type { SandboxCgroup } from './cgroups.ts'
import { handOver, prepareBindSource } from './fs-access.ts'
import type { Host } from './host.ts'
import { agentCommand } from './agent/command.ts'
import { launcher, type LaunchCommand } from './launcher.ts'
import { checkSpec, prepareWorkdir, sandboxEnv } from './spec.ts'
import type { SandboxSpec } from './types.ts'

/** A sandbox ready to be spawned. */
export interface PreparedSandbox {
  /** `<stateDir>/runtime/<id>`: the private /tmp (and workdir), removed when the sandbox ends. */
  runDir: string
  cgroup: SandboxCgroup | null
  command: LaunchCommand
}

/** The agent's configuration (read by agent.py's main()). */
function agentConfig(spec: SandboxSpec, host: Host): string {
  return JSON.stringify({
    image: spec.image === 'microsandbox/node' ? 'nodejs' : 'python',
    maxBytes: host.maxOutputBytes,
    maxLines: Math.max(1000, Math.floor(host.maxOutputBytes / 16)),
    node: host.node.path,
    nodeArgs: ['--expose-internals', `--max-old-space-size=${Math.max(32, Math.floor(spec.memoryMib * 0.75))}`],
    nodeWorker: agentSources().nodeWorker,
    ...(host.cgroups
      ? {}
      : { rlimits: { as: Math.max(spec.memoryMib, 1024) * 1024 * 1024, nproc: host.pidsMax * 16 }, cpus: Math.max(1, Math.ceil(spec.cpus)) }),
  })
}

/**
 * Prepares directories, permissions and the cgroup; undoes its work when a step fails.
 * @example const { runDir, cgroup, command } = await prepareSandbox(spec, host)
 */
export async function prepareSandbox(spec: SandboxSpec, host: Host): Promise<PreparedSandbox> {
  checkSpec(spec)
  const runDir = `${host.runtimeDir}/${spec.id}`
  const workdir = posix.normalize(spec.workdir || '/workspace')
  const limits = { memoryMib: spec.memoryMib, cpus: spec.cpus, pidsMax: host.pidsMax }
  const directories = async () => {
    await rm(runDir, { recursive: true, force: true })
    await mkdir(`${runDir}/tmp`, { recursive: true })
    await chmod(`${runDir}/tmp`, 0o1777)
    await Promise.all([handOver(`${runDir}/tmp`, host.access), handOver(spec.workspaceDir, host.access)])
    for (const v of spec.volumes) await prepareBindSource(v.hostPath, v.readOnly, host.access)
    return prepareWorkdir(spec, workdir, runDir, host.access)
  }
  const [dirs, group] = await Promise.allSettled([directories(), host.cgroups?.create(spec.id, limits, host.user) ?? null])
  const cgroup: SandboxCgroup | null = group.status === 'fulfilled' ? group.value : null
  try {
    if (dirs.status === 'rejected') throw dirs.reason
    if (group.status === 'rejected') throw group.reason
    const workdirBind = dirs.value
    const env = sandboxEnv(spec.envs, host.path)
    const mounts = { tmpDir: `${runDir}/tmp`, workspaceDir: spec.workspaceDir, volumes: spec.volumes, workdir, workdirBind, env }
    const bwrap = bwrapArgs(host.layout, mounts, agentCommand(host.python.path, host.agentCode, agentConfig(spec, host)))
    const setpriv = host.cgroups && !host.cgroups.unprivilegedJoin ? host.setpriv : null
    const command = launcher({ bwrap: host.bwrap, user: host.user, procsFiles: cgroup?.procsFiles ?? [], setpriv }, bwrap)
    return { runDir, cgroup, command }
  } catch (cause) {
    await cgroup?.destroy()
    await rm(runDir, { recursive: true, force: true })
    throw new Error(`could not prepare sandbox ${spec.label}: ${(cause as Error).message}`, { cause })
  }
}
