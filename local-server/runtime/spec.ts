/**
 * Per-sandbox preparation that depends only on the spec: validation, the environment, the host
 * directory behind the working directory, and the agent's configuration.
 * @module
 */
import { mkdir } from 'node:fs/promises'
import { posix } from 'node:path'
import { createOwned, handOver, type AccessContext } from './fs-access.ts'
import type { SandboxSpec } from './types.ts'

const SYSTEM = ['/usr', '/etc', '/proc', '/dev', '/bin', '/sbin', '/lib', '/lib64']
const within = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`)

/**
 * Throws a clear Error when the spec cannot be launched.
 * @example checkSpec(spec)
 */
export function checkSpec(spec: SandboxSpec): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/.test(spec.id)) throw new Error(`invalid sandbox id "${spec.id}": use letters, digits, ".", "_" and "-"`)
  if (spec.image !== 'microsandbox/python' && spec.image !== 'microsandbox/node') throw new Error(`unsupported image ${spec.image}`)
  if (!Number.isInteger(spec.memoryMib) || spec.memoryMib <= 0) throw new Error(`memoryMib must be a positive integer, got ${spec.memoryMib}`)
  if (!Number.isFinite(spec.cpus) || spec.cpus < 0) throw new Error(`cpus must be 0 or more, got ${spec.cpus}`)
  for (const v of spec.volumes) {
    const bad = (p: string) => !p.startsWith('/') || p.split('/').includes('..')
    if (bad(v.hostPath) || bad(v.guestPath) || posix.normalize(v.guestPath) === '/') {
      throw new Error(`invalid volume ${v.hostPath}:${v.guestPath}: both paths must be absolute without "..", and the guest path not /`)
    }
  }
}

/**
 * The sandbox environment: PATH, HOME=/workspace and LANG=C.UTF-8, then the spec's `KEY=VALUE` entries.
 * @example sandboxEnv(['DEBUG=1'], '/usr/bin:/bin')
 */
export function sandboxEnv(envs: string[], path: string): [string, string][] {
  const env = new Map([['PATH', path], ['HOME', '/workspace'], ['LANG', 'C.UTF-8']])
  for (const entry of envs) {
    const eq = entry.indexOf('=')
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1))
  }
  return [...env]
}

/**
 * Where the working directory comes from: inside /workspace, /tmp or a volume it is created on the
 * host side when missing; a system path is used as is; anywhere else a fresh writable directory
 * (`<runDir>/workdir`) is bound there. Returns that directory, or null when none is needed.
 * @example const bind = await prepareWorkdir(spec, runDir, access)
 */
export async function prepareWorkdir(spec: SandboxSpec, workdir: string, runDir: string, access: AccessContext): Promise<string | null> {
  const mounts: [string, string][] = [['/workspace', spec.workspaceDir], ['/tmp', `${runDir}/tmp`], ...spec.volumes.map((v): [string, string] => [v.guestPath, v.hostPath])]
  let best: [string, string] | null = null
  for (const m of mounts) if (within(workdir, m[0]) && (!best || m[0].length > best[0].length)) best = m
  if (best) {
    if (workdir !== best[0]) await createOwned(best[1] + workdir.slice(best[0].length), access)
    return null
  }
  if (workdir === '/' || SYSTEM.some((dir) => within(workdir, dir))) return null
  const dir = `${runDir}/workdir`
  await mkdir(dir)
  await handOver(dir, access)
  return dir
}
