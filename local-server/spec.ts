/**
 * Turns a stored sandbox config into the runtime's SandboxSpec: image resolution (only the two
 * images this server runs), defaults (1024 MiB, 1 CPU, /workspace), volumes and envs. Problems
 * are 500s, as they are upstream when `orchestra::up` fails.
 * @module
 */
import { createHash } from 'node:crypto'
import { existsSync, realpathSync } from 'node:fs'
import { isAbsolute, join, resolve, sep } from 'node:path'
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

/**
 * Parses `host:guest[:ro|:rw]` (or a single path mounted at the same place). The host path, with
 * symlinks resolved, must lie below the project dir or one of `allowedRoots` (`--allow-volume`):
 * a client of this server never reaches the rest of the host, nor the server's own state.
 */
export function parseVolume(entry: string, projectDir: string, allowedRoots: readonly string[] = [], stateDir?: string): VolumeSpec {
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
  const real = realpathSync(hostPath)
  const project = realpathSync(projectDir)
  const below = (root: string) => real === root || real.startsWith(root.endsWith(sep) ? root : root + sep)
  if (stateDir !== undefined && below(realpathSync(stateDir)) && !below(project)) {
    throw internalError(`Volume host path ${real} is not allowed: it is part of this server's state (keys, other sandboxes' workspaces)`)
  }
  const roots = [project, ...allowedRoots]
  if (!roots.some(below)) {
    throw internalError(`Volume host path ${real} is not allowed: this server mounts only paths below its project dir (${roots[0]}) and the directories given with --allow-volume; restart it with --allow-volume <dir> to allow one`)
  }
  return { hostPath: real, guestPath: guest, readOnly }
}

/** Builds the launch spec for one configured sandbox. */
export function buildSpec(input: { namespace: string; name: string; config: StartConfig; projectDir: string; stateDir: string; volumeRoots?: readonly string[] }): SandboxSpec {
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
    volumes: config.volumes.map((v) => parseVolume(v, input.projectDir, input.volumeRoots, input.stateDir)),
    envs: [...config.envs],
    workdir,
    workspaceDir: join(input.stateDir, 'workspaces', id),
  }
}
