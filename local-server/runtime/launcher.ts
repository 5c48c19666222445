/**
 * How a sandbox process tree is started: as root, `/bin/sh` writes its own pid to the sandbox's
 * cgroup.procs files (so bubblewrap and everything it forks start inside the group), then execs
 * `setpriv` to drop to the sandbox uid/gid with no supplementary groups and no new privileges,
 * which execs bubblewrap. Not root: bubblewrap directly (through the same `sh` when a delegated
 * cgroup v2 subtree is used).
 * @module
 */

/** Who runs bubblewrap and where its pid goes first. */
export interface LauncherOptions {
  bwrap: string
  /** setpriv path when the server is root (then uid/gid are dropped to `uid`/`gid`). */
  setpriv: string | null
  uid: number
  gid: number
  procsFiles: string[]
}

const JOIN = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"'

/** Exit status of the launcher when joining the cgroup failed. */
export const JOIN_FAILED = 125

/**
 * Returns `[file, args]` that start bubblewrap with `bwrapArgv`.
 * @example const [file, args] = launcher({ bwrap, setpriv, uid: 64000, gid: 64000, procsFiles }, argv)
 */
export function launcher(options: LauncherOptions, bwrapArgv: string[]): [string, string[]] {
  const drop = options.setpriv
    ? [options.setpriv, `--reuid=${options.uid}`, `--regid=${options.gid}`, '--clear-groups', '--no-new-privs']
    : []
  const command = [...drop, options.bwrap, ...bwrapArgv]
  if (options.procsFiles.length === 0) return [command[0] as string, command.slice(1)]
  return ['/bin/sh', ['-c', JOIN, 'msb-launch', ...options.procsFiles, '--', ...command]]
}
