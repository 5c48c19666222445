/**
 * cgroup v2 driver: sandbox groups under `<own cgroup>/microsandbox-edge/<pid>-<random>/<id>`, when
 * the server's own cgroup is writable (delegated) and offers memory, cpu and pids. When the
 * server's cgroup holds only the server, the server moves itself to a leaf
 * (`microsandbox-edge-server`) so that its cgroup may enable controllers for children.
 * @module
 */
import { access, mkdir, rmdir } from 'node:fs/promises'
import {
  CGROUP_DIR,
  emptyAndRemove,
  instanceName,
  readKeyed,
  readPids,
  readText,
  removeStale,
  writeControl,
  type CgroupDriver,
  type CgroupLimits,
  type SandboxCgroup,
} from './cgroup-files.ts'

const WANTED = ['memory', 'cpu', 'pids']
const ENABLE = WANTED.map((c) => `+${c}`).join(' ')
const PERIOD_US = 100_000

const hasAll = async (file: string) => {
  const words = (await readText(file)).split(/\s+/)
  return WANTED.every((c) => words.includes(c))
}

/** Enables the controllers for the children of `dir`, moving the server to a leaf if it must. */
async function enableIn(dir: string, log: (line: string) => void): Promise<boolean> {
  if ((await hasAll(`${dir}/cgroup.subtree_control`)) || (await writeControl(`${dir}/cgroup.subtree_control`, ENABLE))) return true
  const procs = await readPids(`${dir}/cgroup.procs`)
  if (procs.length !== 1 || procs[0] !== process.pid) return false
  const leaf = `${dir}/${CGROUP_DIR}-server`
  await mkdir(leaf).catch(() => undefined)
  if (!(await writeControl(`${leaf}/cgroup.procs`, String(process.pid)))) return false
  if (await writeControl(`${dir}/cgroup.subtree_control`, ENABLE)) {
    log(`moved the server (pid ${process.pid}) to the cgroup ${leaf} so that ${dir} can delegate controllers`)
    return true
  }
  await writeControl(`${dir}/cgroup.procs`, String(process.pid))
  await rmdir(leaf).catch(() => undefined)
  return false
}

/**
 * Returns a v2 driver when a delegated subtree with memory, cpu and pids is writable, else null.
 * @example const driver = await createCgroupV2(await readFile('/proc/self/mountinfo', 'utf8'), log)
 */
export async function createCgroupV2(mountinfo: string, log: (line: string) => void): Promise<CgroupDriver | null> {
  const mount = mountinfo
    .split('\n')
    .find((l) => l.split(' - ')[1]?.startsWith('cgroup2 '))
    ?.split(' ')[4]
  const own = (await readText('/proc/self/cgroup')).split('\n').find((l) => l.startsWith('0::'))?.slice(3)
  if (!mount || own === undefined) return null
  const ownDir = own === '/' ? mount : `${mount}${own}`
  if (!(await hasAll(`${ownDir}/cgroup.controllers`)) || !(await enableIn(ownDir, log))) return null
  const base = `${ownDir}/${CGROUP_DIR}`
  const instance = `${base}/${instanceName()}`
  const ready = await mkdir(base, { recursive: true })
    .then(() => writeControl(`${base}/cgroup.subtree_control`, ENABLE))
    .then((ok) => ok && mkdir(instance).then(() => writeControl(`${instance}/cgroup.subtree_control`, ENABLE)))
    .catch(() => false)
  if (!ready) {
    await rmdir(instance).catch(() => undefined)
    return null
  }
  await removeStale(base, log)

  return {
    kind: 'cgroup-v2',
    unprivilegedJoin: false,
    notes: [`limits: cgroup v2 groups under ${instance}`],
    async create(id: string, limits: CgroupLimits): Promise<SandboxCgroup> {
      const dir = `${instance}/${id}`
      const kill = () => writeControl(`${dir}/cgroup.kill`, '1')
      const destroy = () => emptyAndRemove([dir], kill)
      try {
        await mkdir(dir)
        const bytes = String(limits.memoryMib * 1024 * 1024)
        const steps: [string, string][] = [
          ['memory.max', bytes],
          ['cpu.max', `${Math.max(1, limits.cpus) * PERIOD_US} ${PERIOD_US}`],
          ['pids.max', String(limits.pidsMax)],
        ]
        if (await access(`${dir}/memory.swap.max`).then(() => true, () => false)) steps.push(['memory.swap.max', '0'])
        for (const [file, value] of steps) {
          if (!(await writeControl(`${dir}/${file}`, value))) throw new Error(`the kernel refused ${value} in ${dir}/${file}`)
        }
      } catch (cause) {
        await destroy()
        throw new Error(`could not create the cgroup of sandbox ${id}: ${(cause as Error).message}`, { cause })
      }
      return {
        procsFiles: [`${dir}/cgroup.procs`],
        pids: () => readPids(`${dir}/cgroup.procs`),
        oomKills: async () => (await readKeyed(`${dir}/memory.events`, 'oom_kill')) ?? 0,
        cpuNanos: async () => {
          const usec = await readKeyed(`${dir}/cpu.stat`, 'usage_usec')
          return usec === null ? null : usec * 1000
        },
        destroy,
      }
    },
    async close() {
      await rmdir(instance).catch(() => undefined)
    },
  }
}
