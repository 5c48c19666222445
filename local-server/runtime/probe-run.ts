/**
 * A throwaway sandbox run by the host probe: proves that bubblewrap starts (user namespaces) and
 * that an interpreter works inside, and returns what it printed.
 * @module
 */
import { mkdir, rm } from 'node:fs/promises'
import { bwrapArgs, type SystemLayout } from './bwrap.ts'
import { execFile } from './exec.ts'
import { handOver, type AccessContext } from './fs-access.ts'
import { launcher } from './launcher.ts'
import { RuntimeUnavailableError } from './types.ts'

/**
 * Runs `command` in a minimal sandbox and returns its first output line; throws
 * RuntimeUnavailableError (with how to enable user namespaces) when it fails.
 * @example const version = await probeRun(bwrap, user, layout, access, runtimeDir, ['/usr/bin/node', '-v'])
 */
export async function probeRun(
  bwrap: string,
  user: { uid: number; gid: number } | null,
  layout: SystemLayout,
  access: AccessContext,
  runtimeDir: string,
  command: string[],
): Promise<string> {
  const dir = `${runtimeDir}/probe-${process.pid}-${Math.random().toString(36).slice(2, 8)}`
  await mkdir(`${dir}/tmp`, { recursive: true })
  await handOver(`${dir}/tmp`, access)
  try {
    const mounts = { tmpDir: `${dir}/tmp`, workspaceDir: `${dir}/tmp`, volumes: [], workdir: '/workspace', workdirBind: null, env: [] }
    const { file, args, ...as } = launcher({ bwrap, user, procsFiles: [], setpriv: null }, bwrapArgs(layout, mounts, command))
    const result = await execFile(file, args, as)
    const first = result.stdout.split('\n')[0]?.trim()
    if (result.code === 0 && first) return first
    throw new RuntimeUnavailableError(
      `a test sandbox failed (${command[0]}): ${result.stderr.trim() || `exit code ${result.code}`}. ` +
        'Unprivileged user namespaces must be enabled: sysctl -w kernel.unprivileged_userns_clone=1 user.max_user_namespaces=15000 ' +
        '(and on Ubuntu 24.04+ kernel.apparmor_restrict_unprivileged_userns=0)',
    )
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
