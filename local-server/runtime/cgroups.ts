/**
 * Detection of the cgroup hierarchy sandboxes are limited by.
 * @module
 */
import { readFile } from 'node:fs/promises'
import { createCgroupV1 } from './cgroup-v1.ts'
import { createCgroupV2 } from './cgroup-v2.ts'
import type { CgroupDriver } from './cgroup-files.ts'

export type { CgroupDriver, CgroupLimits, SandboxCgroup } from './cgroup-files.ts'

/**
 * Finds a writable cgroup hierarchy with memory, cpu and pids controllers: v1 first, then a
 * delegated v2 subtree. Null when neither is usable (the runtime then falls back to rlimits).
 * @example const cgroups = await detectCgroups(log)
 */
export async function detectCgroups(log: (line: string) => void): Promise<CgroupDriver | null> {
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '')
  return (await createCgroupV1(mountinfo, log)) ?? (await createCgroupV2(mountinfo, log))
}

