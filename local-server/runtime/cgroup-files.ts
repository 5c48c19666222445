/**
 * Per-sandbox control groups: the shape shared by the v1 and v2 drivers and the file helpers both
 * use (read pids and counters, kill what is left, wait until empty, remove).
 * @module
 */
import { randomBytes } from 'node:crypto'
import { chown, readdir, readFile, rmdir, writeFile } from 'node:fs/promises'

/** Limits applied to one sandbox's group. */
export interface CgroupLimits {
  memoryMib: number
  cpus: number
  pidsMax: number
}

/** The group(s) of one sandbox: a launcher writes its pid to every `procsFiles` entry before bwrap. */
export interface SandboxCgroup {
  readonly procsFiles: string[]
  /** Host pids of every process in the group. */
  pids(): Promise<number[]>
  /** How many processes the kernel OOM killer has killed in the group so far. */
  oomKills(): Promise<number>
  /** CPU time used by the group in nanoseconds, or null when not accounted. */
  cpuNanos(): Promise<number | null>
  /** Kills every process left, waits until the group is empty and removes it. */
  destroy(): Promise<void>
}

/** A cgroup hierarchy the runtime may create sandbox groups in. */
export interface CgroupDriver {
  readonly kind: 'cgroup-v1' | 'cgroup-v2'
  /** Whether the sandbox uid itself may join a group (v1, once it owns cgroup.procs); v2 needs root. */
  readonly unprivilegedJoin: boolean
  /** Lines for the host report. */
  readonly notes: string[]
  /** Creates the group(s); `owner` gets the cgroup.procs files so an unprivileged launcher can join. */
  create(id: string, limits: CgroupLimits, owner: { uid: number; gid: number } | null): Promise<SandboxCgroup>
  /** Removes the runtime's own directories (sandbox groups must be destroyed first). */
  close(): Promise<void>
}

/** Name of the directory the runtime creates in a hierarchy; one sub-directory per runtime instance. */
export const CGROUP_DIR = 'microsandbox-edge'

/**
 * A unique per-process instance name: `<pid>-<random>` (the pid lets a later run find stale ones).
 * @example instanceName() // '4242-a1b2c3'
 */
export const instanceName = (): string => `${process.pid}-${randomBytes(3).toString('hex')}`

/**
 * Reads a file's text, or '' when it cannot be read.
 * @example await readText('/sys/fs/cgroup/pids/x/pids.max')
 */
export const readText = (path: string): Promise<string> => readFile(path, 'utf8').catch(() => '')

/**
 * Writes a control file; returns false when the kernel refuses.
 * @example await writeControl(`${dir}/pids.max`, '256')
 */
export const writeControl = (path: string, value: string): Promise<boolean> =>
  writeFile(path, value).then(() => true, () => false)

/**
 * Parses the pids of a cgroup.procs file.
 * @example await readPids(`${dir}/cgroup.procs`)
 */
export async function readPids(procsFile: string): Promise<number[]> {
  return (await readText(procsFile)).split('\n').filter(Boolean).map(Number)
}

/**
 * Parses `key value` lines (memory.events, memory.oom_control, cpu.stat) and returns one value.
 * @example await readKeyed(`${dir}/memory.oom_control`, 'oom_kill')
 */
export async function readKeyed(path: string, key: string): Promise<number | null> {
  const line = (await readText(path)).split('\n').find((l) => l.startsWith(`${key} `))
  return line ? Number(line.slice(key.length + 1)) : null
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Kills every process of the groups in `dirs` until none is left, then removes the directories.
 * @example await emptyAndRemove(['/sys/fs/cgroup/pids/microsandbox-edge/1-ab/s1'])
 */
export async function emptyAndRemove(dirs: string[], kill?: () => Promise<boolean>): Promise<void> {
  for (let round = 0; round < 1000; round++) {
    const pids = new Set((await Promise.all(dirs.map((d) => readPids(`${d}/cgroup.procs`)))).flat())
    if (pids.size === 0) break
    if (!(kill && (await kill()))) {
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {}
      }
    }
    await sleep(round < 50 ? 2 : 20)
  }
  for (const dir of dirs) {
    for (let tries = 0; tries < 50; tries++) {
      const ok = await rmdir(dir).then(() => true, (e: NodeJS.ErrnoException) => e.code === 'ENOENT')
      if (ok) break
      await sleep(10)
    }
  }
}

/**
 * True when a process with this pid exists.
 * @example isAlive(1234)
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Removes the instance directories under `base` left by runtimes whose process is gone.
 * @example await removeStale('/sys/fs/cgroup/pids/microsandbox-edge', log)
 */
export async function removeStale(base: string, log: (line: string) => void): Promise<void> {
  for (const name of await readdir(base).catch(() => [])) {
    const pid = Number(/^(\d+)-[0-9a-f]+$/.exec(name)?.[1] ?? 0)
    if (!pid || isAlive(pid)) continue
    const subs = await readdir(`${base}/${name}`, { withFileTypes: true }).catch(() => [])
    await Promise.all(subs.filter((d) => d.isDirectory()).map((d) => emptyAndRemove([`${base}/${name}/${d.name}`])))
    await rmdir(`${base}/${name}`).then(() => log(`removed the stale cgroup ${base}/${name}`), () => undefined)
  }
}

/**
 * Hands the cgroup.procs files to the launcher's uid (no-op without one).
 * @example await handProcs([`${dir}/cgroup.procs`], { uid: 64000, gid: 64000 })
 */
export async function handProcs(files: string[], owner: { uid: number; gid: number } | null): Promise<void> {
  if (owner) await Promise.all(files.map((file) => chown(file, owner.uid, owner.gid)))
}
