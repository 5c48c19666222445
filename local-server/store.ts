/**
 * Persisted sandbox configurations, one project directory per namespace under the state dir
 * (`<state>/projects/<ns>/`), each with a `Sandboxfile.json` once a config was written. The
 * existence of both is observable through the protocol (§4.1-4.3), so it is modelled on disk.
 * @module
 */
import { mkdir, readFile, readdir, rename, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import type { StartConfig } from './params.ts'

/** One configured sandbox, in the order it was first configured. */
export interface StoredSandbox { name: string; config: StartConfig }

/** The configuration store of one server. */
export interface ConfigStore {
  projectDir(ns: string): string
  sandboxfilePath(ns: string): string
  projectExists(ns: string): Promise<boolean>
  ensureProject(ns: string): Promise<void>
  /** The entries, or undefined when the namespace has no Sandboxfile yet. */
  read(ns: string): Promise<StoredSandbox[] | undefined>
  /** Replaces (or appends) one entry, atomically. */
  put(ns: string, name: string, config: StartConfig): Promise<void>
  /** Namespaces that have a project directory, sorted. */
  namespaces(): Promise<string[]>
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false)
}

/** Creates the store rooted at `stateDir`. */
export function createConfigStore(stateDir: string): ConfigStore {
  const root = join(stateDir, 'projects')
  const cache = new Map<string, StoredSandbox[] | undefined>()
  const writes = new Map<string, Promise<void>>()
  const projectDir = (ns: string) => join(root, ns)
  const sandboxfilePath = (ns: string) => join(projectDir(ns), 'Sandboxfile.json')

  async function read(ns: string): Promise<StoredSandbox[] | undefined> {
    if (cache.has(ns)) return cache.get(ns)
    let entries: StoredSandbox[] | undefined
    try {
      const parsed = JSON.parse(await readFile(sandboxfilePath(ns), 'utf8')) as { sandboxes?: StoredSandbox[] }
      entries = Array.isArray(parsed.sandboxes) ? parsed.sandboxes : []
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`Failed to read ${sandboxfilePath(ns)}: ${(e as Error).message}`, { cause: e })
    }
    cache.set(ns, entries)
    return entries
  }

  async function put(ns: string, name: string, config: StartConfig): Promise<void> {
    const previous = writes.get(ns) ?? Promise.resolve()
    const next = previous.then(async () => {
      const entries = [...((await read(ns)) ?? [])]
      const index = entries.findIndex((e) => e.name === name)
      if (index >= 0) entries[index] = { name, config }
      else entries.push({ name, config })
      const path = sandboxfilePath(ns)
      const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`
      await mkdir(projectDir(ns), { recursive: true })
      await writeFile(tmp, `${JSON.stringify({ sandboxes: entries }, null, 2)}\n`)
      await rename(tmp, path)
      cache.set(ns, entries)
    })
    writes.set(ns, next.catch(() => undefined))
    return next
  }

  return {
    projectDir,
    sandboxfilePath,
    projectExists: (ns) => exists(projectDir(ns)),
    ensureProject: async (ns) => { await mkdir(projectDir(ns), { recursive: true }) },
    read,
    put,
    async namespaces() {
      const names = await readdir(root).catch(() => [] as string[])
      return names.sort()
    },
  }
}
