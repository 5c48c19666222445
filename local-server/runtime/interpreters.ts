/**
 * Finds the python3 and node binaries sandboxes use: real ELF executables, preferably under /usr
 * (always mounted); one elsewhere brings its install prefix as a read-only bind, except under
 * /root or /home, which never enter a sandbox.
 * @module
 */
import { open, realpath } from 'node:fs/promises'
import { delimiter, dirname, join } from 'node:path'

/** An interpreter as sandboxes see it. */
export interface Interpreter {
  /** Absolute path, the same inside the sandbox. */
  path: string
  /** Read-only bind needed for it (its install prefix), or null when it lives under /usr. */
  prefix: string | null
}

const FORBIDDEN = ['/root', '/home']

const isUnder = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`)

async function isElf(path: string): Promise<boolean> {
  const file = await open(path, 'r').catch(() => null)
  if (!file) return false
  try {
    const head = Buffer.alloc(4)
    await file.read(head, 0, 4, 0)
    return head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))
  } finally {
    await file.close()
  }
}

/**
 * Returns the first usable `name` binary: /usr/bin, /usr/local/bin, then PATH, skipping scripts
 * (pyenv or nvm shims) and anything under /root or /home.
 * @example const python = await findInterpreter('python3')
 */
export async function findInterpreter(name: string): Promise<Interpreter | null> {
  const dirs = ['/usr/bin', '/usr/local/bin', ...(process.env.PATH ?? '').split(delimiter)]
  for (const dir of new Set(dirs.filter((d) => d.startsWith('/')))) {
    const real = await realpath(join(dir, name)).catch(() => null)
    if (!real || FORBIDDEN.some((f) => isUnder(real, f)) || !(await isElf(real))) continue
    if (isUnder(real, '/usr')) return { path: real, prefix: null }
    const prefix = dirname(dirname(real))
    if (prefix === '/' || FORBIDDEN.some((f) => isUnder(prefix, f))) continue
    return { path: real, prefix }
  }
  return null
}
