/**
 * Resource usage of one sandbox: CPU percent since the previous sample, the summed RSS of its
 * processes, and the bytes in its writable directories (cached for 5 s).
 * @module
 */
import { lstat, readdir, readFile } from 'node:fs/promises'
import type { SandboxUsage } from './types.ts'

/** Where a sandbox's numbers come from. */
export interface UsageSource {
  /** Host pids of the sandbox's processes. */
  pids(): Promise<number[]>
  /** Group CPU time in ns, or null to sum the processes' own times. */
  cpuNanos(): Promise<number | null>
  /** Host directories whose contents count as the sandbox's disk use. */
  diskDirs: string[]
}

const DISK_TTL_MS = 5000
const MAX_ENTRIES = 200_000
const NS_PER_TICK = 1e9 / 100

/**
 * Host pids of `root` and all its descendants (via /proc/<pid>/task/<tid>/children).
 * @example await processTree(sandbox.pid)
 */
export async function processTree(root: number): Promise<number[]> {
  const seen: number[] = []
  const queue = [root]
  while (queue.length > 0 && seen.length < 100_000) {
    const pid = queue.shift() as number
    const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[])
    if (tasks.length === 0) continue
    seen.push(pid)
    for (const tid of tasks) {
      const text = await readFile(`/proc/${pid}/task/${tid}/children`, 'utf8').catch(() => '')
      queue.push(...text.split(' ').filter(Boolean).map(Number))
    }
  }
  return seen
}

async function rssKib(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')
  return Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0)
}

async function cpuTicks(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(fields[11] ?? 0) + Number(fields[12] ?? 0)
}

async function diskBytes(dirs: string[]): Promise<number> {
  let total = 0
  let entries = 0
  const stack = [...dirs]
  while (stack.length > 0 && entries < MAX_ENTRIES) {
    const dir = stack.pop() as string
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      entries++
      const path = `${dir}/${entry.name}`
      if (entry.isDirectory()) stack.push(path)
      else total += (await lstat(path).catch(() => null))?.size ?? 0
    }
  }
  return total
}

/**
 * Returns a `usage()` function for a sandbox started now.
 * @example const usage = createUsageMeter({ pids, cpuNanos, diskDirs: [workspaceDir] })
 */
export function createUsageMeter(source: UsageSource): () => Promise<SandboxUsage> {
  let last = { at: process.hrtime.bigint(), cpu: 0 }
  let disk: { at: number; bytes: number } | null = null
  return async function usage(): Promise<SandboxUsage> {
    const pids = await source.pids()
    const kib = (await Promise.all(pids.map(rssKib))).reduce((a, b) => a + b, 0)
    const cpu = (await source.cpuNanos()) ?? (await Promise.all(pids.map(cpuTicks))).reduce((a, b) => a + b, 0) * NS_PER_TICK
    const at = process.hrtime.bigint()
    const elapsed = Number(at - last.at)
    const cpuPercent = elapsed > 0 ? Math.max(0, ((cpu - last.cpu) / elapsed) * 100) : 0
    last = { at, cpu }
    if (!disk || Date.now() - disk.at > DISK_TTL_MS) disk = { at: Date.now(), bytes: await diskBytes(source.diskDirs) }
    return { cpuPercent: Math.round(cpuPercent * 100) / 100, memoryMib: Math.floor(kib / 1024), diskBytes: disk.bytes }
  }
}
