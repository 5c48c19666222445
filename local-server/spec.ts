/**
 * Turns a stored sandbox config into the runtime's SandboxSpec: image resolution (only the two
 * images this server runs), defaults (1024 MiB, 1 CPU, /workspace), volumes and envs. Problems
 * are 500s, as they are upstream when `orchestra::up` fails.
 * @module
 */
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import { internalError } from './errors.ts'
import type { StartConfig } from './params.ts'
import type { ImageName, SandboxSpec, VolumeSpec } from './runtime/types.ts'

/** Maps an OCI reference to one of the known images (`docker.io/` and `:latest` accepted). */
export function resolveImage(image: string): ImageName | undefined {
  let ref = image.trim()
  if (ref.startsWith('docker.io/')) ref = ref.slice('docker.io/'.length)
  if (ref.endsWith(':latest')) ref = ref.slice(0, -':latest'.length)
  return ref === 'microsandbox/python' || ref === 'microsandbox/node' ? ref : undefined
}

/** The runtime id of a sandbox: filesystem- and cgroup-safe, unique per namespace and name. */
export function sandboxId(namespace: string, name: string): string {
  const hash = createHash('sha256').update(`${namespace}\0${name}`).digest('hex').slice(0, 12)
  return `${name.slice(0, 40)}-${hash}`
}

/** Parses `host:guest[:ro|:rw]` (or a single path mounted at the same place). */
export function parseVolume(entry: string, projectDir: string): VolumeSpec {
  const parts = entry.split(':')
  let readOnly = false
  const last = parts[parts.length - 1]
  if (parts.length === 3 && (last === 'ro' || last === 'rw')) {
    readOnly = last === 'ro'
    parts.pop()
  }
  if (parts.length > 2 || parts.some((p) => p === '')) throw internalError(`Invalid volume mapping '${entry}': expected host:guest[:ro]`)
  const host = parts[0] as string
  const guest = parts[1] ?? host
  if (!isAbsolute(guest)) throw internalError(`Invalid volume mapping '${entry}': the guest path must be absolute`)
  const hostPath = resolve(projectDir, host)
  if (!existsSync(hostPath)) throw internalError(`Invalid volume mapping '${entry}': host path ${hostPath} does not exist`)
  return { hostPath, guestPath: guest, readOnly }
}

/** Builds the launch spec for one configured sandbox. */
export function buildSpec(input: { namespace: string; name: string; config: StartConfig; projectDir: string; stateDir: string }): SandboxSpec {
  const { namespace, name, config } = input
  const image = resolveImage(config.image ?? '')
  if (!image) {
    throw internalError(`Failed to start sandbox ${name}: failed to pull image '${config.image ?? ''}': not found (this server runs microsandbox/python and microsandbox/node only)`)
  }
  for (const env of config.envs) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(env)) throw internalError(`Invalid environment variable '${env}': expected KEY=VALUE`)
  }
  const workdir = config.workdir ?? '/workspace'
  if (!isAbsolute(workdir)) throw internalError(`Invalid workdir '${workdir}': must be an absolute path`)
  const id = sandboxId(namespace, name)
  return {
    id,
    label: `${namespace}/${name}`,
    image,
    memoryMib: config.memory ?? 1024,
    cpus: config.cpus ?? 1,
    volumes: config.volumes.map((v) => parseVolume(v, input.projectDir)),
    envs: [...config.envs],
    workdir,
    workspaceDir: join(input.stateDir, 'workspaces', id),
  }
}
