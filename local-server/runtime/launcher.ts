/**
 * How a sandbox process tree is started. As root the process is spawned directly as the sandbox
 * uid/gid (libuv drops the supplementary groups; bubblewrap sets no-new-privs). With cgroups,
 * `/bin/sh` first writes its own pid to the sandbox's cgroup.procs files, so bubblewrap and
 * everything it forks start inside the groups, then execs bubblewrap. cgroup v1 lets the sandbox
 * uid do that once the files are its own; v2 also checks the common ancestor, so there `sh` runs
 * as root and execs `setpriv` to drop to the sandbox uid/gid before bubblewrap.
 * @module
 */

/** Who runs bubblewrap and where its pid goes first. */
export interface LauncherOptions {
  bwrap: string
  /** uid/gid to spawn as (only when the server is root), else null. */
  user: { uid: number; gid: number } | null
  procsFiles: string[]
  /** setpriv, when joining the cgroup needs root (cgroup v2); null otherwise. */
  setpriv: string | null
}

/** What to pass to `child_process.spawn`. */
export interface LaunchCommand {
  file: string
  args: string[]
  uid?: number
  gid?: number
}

const JOIN = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"'

/** Exit status of the launcher when joining the cgroup failed. */
export const JOIN_FAILED = 125

/**
 * Returns the command that starts bubblewrap with `bwrapArgv`.
 * @example const { file, args, uid, gid } = launcher({ bwrap, user: { uid: 64000, gid: 64000 }, procsFiles, setpriv: null }, argv)
 */
export function launcher(options: LauncherOptions, bwrapArgv: string[]): LaunchCommand {
  const { user, procsFiles, setpriv, bwrap } = options
  const as = user ? { uid: user.uid, gid: user.gid } : {}
  if (procsFiles.length === 0) return { file: bwrap, args: bwrapArgv, ...as }
  const join = ['-c', JOIN, 'msb-launch', ...procsFiles, '--']
  if (user && setpriv) {
    const drop = [setpriv, `--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '--no-new-privs']
    return { file: '/bin/sh', args: [...join, ...drop, bwrap, ...bwrapArgv] }
  }
  return { file: '/bin/sh', args: [...join, bwrap, ...bwrapArgv], ...as }
}
