/**
 * The bubblewrap command line of one sandbox: every namespace unshared (no network at all), a
 * read-only root holding only /usr (with the /bin, /lib... links), a minimal /etc, fresh /proc and
 * /dev, a private /tmp, /workspace and the volumes; nothing else of the host.
 * @module
 */
import type { VolumeSpec } from './types.ts'

/** The host's system layout as sandboxes see it; computed once by the host probe. */
export interface SystemLayout {
  /** `--symlink target link` for /bin, /lib... on merged-/usr hosts. */
  symlinks: [string, string][]
  /** Read-only binds (`source`, `dest`): /usr, real /bin-like dirs, interpreter prefixes, /etc entries. */
  roBinds: [string, string][]
  /** Whether bwrap knows `--disable-userns` (0.8 and later). */
  disableUserns: boolean
}

/** What varies per sandbox. */
export interface SandboxMounts {
  tmpDir: string
  workspaceDir: string
  volumes: VolumeSpec[]
  workdir: string
  /** A host directory bound at `workdir` when the workdir exists nowhere else. */
  workdirBind: string | null
  env: [string, string][]
}

/** The uid and gid inside every sandbox. */
export const INNER_UID = 1000

/**
 * Builds bubblewrap's arguments (without the bwrap path itself) ending with `--` and `command`.
 * @example spawn(bwrap, bwrapArgs(layout, mounts, ['/usr/bin/python3', '-c', 'print(1)']))
 */
export function bwrapArgs(layout: SystemLayout, mounts: SandboxMounts, command: string[]): string[] {
  const args = ['--unshare-all', '--unshare-user']
  if (layout.disableUserns) args.push('--disable-userns')
  args.push('--die-with-parent', '--new-session', '--clearenv')
  args.push('--uid', String(INNER_UID), '--gid', String(INNER_UID), '--hostname', 'sandbox')
  args.push('--perms', '0755', '--dir', '/etc')
  for (const [source, dest] of layout.roBinds) args.push('--ro-bind', source, dest)
  for (const [target, link] of layout.symlinks) args.push('--symlink', target, link)
  args.push('--symlink', '../proc/self/mounts', '/etc/mtab')
  args.push('--proc', '/proc', '--dev', '/dev')
  args.push('--bind', mounts.tmpDir, '/tmp', '--bind', mounts.workspaceDir, '/workspace')
  const depth = (p: string) => p.split('/').length
  for (const v of [...mounts.volumes].sort((a, b) => depth(a.guestPath) - depth(b.guestPath))) {
    args.push(v.readOnly ? '--ro-bind' : '--bind', v.hostPath, v.guestPath)
  }
  if (mounts.workdirBind) args.push('--bind', mounts.workdirBind, mounts.workdir)
  args.push('--remount-ro', '/', '--chdir', mounts.workdir)
  for (const [key, value] of mounts.env) args.push('--setenv', key, value)
  args.push('--', ...command)
  return args
}
