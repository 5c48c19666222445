/**
 * cgroup v1 driver: one group per sandbox in the memory, cpu, pids (and cpuacct) hierarchies,
 * under `<mount>/microsandbox-edge/<pid>-<random>/<sandbox id>`.
 * @module
 */
import { access, mkdir, rmdir } from 'node:fs/promises'
import {
  CGROUP_DIR,
  emptyAndRemove,
  handProcs,
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

const CONTROLLERS = ['memory', 'cpu', 'pids', 'cpuacct']
const PERIOD_US = 100_000

/** Parses /proc/self/mountinfo for v1 hierarchies: controller -> mount point. */
function v1Mounts(mountinfo: string): Map<string, string> {
  const mounts = new Map<string, string>()
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ')
    const [fstype, , options] = (right ?? '').split(' ')
    const mountPoint = (left ?? '').split(' ')[4]
    if (fstype !== 'cgroup' || !mountPoint || !options) continue
    for (const opt of options.split(',')) if (CONTROLLERS.includes(opt)) mounts.set(opt, mountPoint)
  }
  return mounts
}

/**
 * Returns a v1 driver when memory, cpu and pids hierarchies are mounted and writable, else null.
 * @example const driver = await createCgroupV1(await readFile('/proc/self/mountinfo', 'utf8'), log)
 */
export async function createCgroupV1(mountinfo: string, log: (line: string) => void): Promise<CgroupDriver | null> {
  const mounts = v1Mounts(mountinfo)
  if (!mounts.has('memory') || !mounts.has('cpu') || !mounts.has('pids')) return null
  const instance = instanceName()
  const roots = [...new Set(mounts.values())]
  const created: string[] = []
  for (const root of roots) {
    const base = `${root}/${CGROUP_DIR}`
    const ok = await mkdir(base, { recursive: true }).then(() => mkdir(`${base}/${instance}`)).then(() => true, () => false)
    if (!ok) {
      await Promise.all(created.map((d) => rmdir(d).catch(() => undefined)))
      return null
    }
    created.push(`${base}/${instance}`)
    await removeStale(base, log)
  }
  const dirOf = (controller: string, id: string) => `${mounts.get(controller)}/${CGROUP_DIR}/${instance}/${id}`
  const memsw = await access(`${dirOf('memory', '')}memory.memsw.limit_in_bytes`).then(() => true, () => false)

  return {
    kind: 'cgroup-v1',
    unprivilegedJoin: true,
    notes: [
      `limits: cgroup v1 groups under ${roots.map((r) => `${r}/${CGROUP_DIR}/${instance}`).join(', ')}`,
      memsw ? 'memory limit covers swap too (memory.memsw)' : 'memory limit does not cover swap (no memory.memsw)',
    ],
    async create(id: string, limits: CgroupLimits, owner): Promise<SandboxCgroup> {
      const dirs = [...new Set([...mounts.keys()].map((c) => dirOf(c, id)))]
      const bytes = String(limits.memoryMib * 1024 * 1024)
      const steps: [string, string][] = [
        [`${dirOf('memory', id)}/memory.limit_in_bytes`, bytes],
        ...(memsw ? [[`${dirOf('memory', id)}/memory.memsw.limit_in_bytes`, bytes] as [string, string]] : []),
        [`${dirOf('cpu', id)}/cpu.cfs_period_us`, String(PERIOD_US)],
        [`${dirOf('cpu', id)}/cpu.cfs_quota_us`, String(Math.max(1, limits.cpus) * PERIOD_US)],
        [`${dirOf('pids', id)}/pids.max`, String(limits.pidsMax)],
      ]
      const destroy = () => emptyAndRemove(dirs)
      try {
        await Promise.all(dirs.map((dir) => mkdir(dir)))
        // memory.limit_in_bytes first: the kernel keeps memsw >= the memory limit.
        for (const batch of [steps.slice(0, 1), steps.slice(1)]) {
          const refused = (await Promise.all(batch.map(([file, value]) => writeControl(file, value)))).indexOf(false)
          if (refused >= 0) throw new Error(`the kernel refused ${batch[refused]?.[1]} in ${batch[refused]?.[0]}`)
        }
        await handProcs(dirs.map((d) => `${d}/cgroup.procs`), owner)
      } catch (cause) {
        await destroy()
        throw new Error(`could not create the cgroups of sandbox ${id}: ${(cause as Error).message}`, { cause })
      }
      return {
        procsFiles: dirs.map((d) => `${d}/cgroup.procs`),
        pids: () => readPids(`${dirOf('pids', id)}/cgroup.procs`),
        oomKills: async () => (await readKeyed(`${dirOf('memory', id)}/memory.oom_control`, 'oom_kill')) ?? 0,
        cpuNanos: async () => {
          if (!mounts.has('cpuacct')) return null
          const text = await readText(`${dirOf('cpuacct', id)}/cpuacct.usage`)
          return text ? Number(text) : null
        },
        destroy,
      }
    },
    async close() {
      await Promise.all(created.map((d) => rmdir(d).catch(() => undefined)))
    },
  }
}
