/**
 * Makes host paths usable by the sandbox uid with the least change: bubblewrap resolves bind
 * sources as that uid, so every ancestor needs search (x) permission, and volumes need read (and
 * for rw, write) permission. Missing directories are created owned by the uid; existing ones get a
 * POSIX ACL entry for the uid (setfacl, package `acl`). Every change is logged.
 * @module
 */
import { chown, lstat, mkdir, stat } from 'node:fs/promises'
import type { Stats } from 'node:fs'
import { dirname } from 'node:path'
import { execFile } from './exec.ts'

/** Who the sandbox processes are on the host, and how to grant them access. */
export interface AccessContext {
  uid: number
  gid: number
  /** Only a root server changes permissions; otherwise the sandbox uid is the server's own. */
  asRoot: boolean
  setfacl: string | null
  log: (line: string) => void
  /** Paths already checked or fixed by this runtime. */
  done: Set<string>
}

const R = 4
const W = 2
const X = 1

function allows(st: Stats, ctx: AccessContext, bits: number): boolean {
  if (st.uid === ctx.uid) return ((st.mode >> 6) & bits) === bits
  if (st.gid === ctx.gid) return ((st.mode >> 3) & bits) === bits
  return (st.mode & bits) === bits
}

async function grant(path: string, perms: string, ctx: AccessContext, why: string): Promise<void> {
  if (!ctx.setfacl) {
    throw new Error(
      `the sandbox uid ${ctx.uid} cannot ${why} ${path}: install the acl package (apt-get install -y acl) ` +
        `so the runtime can grant it, or change the permissions yourself`,
    )
  }
  const result = await execFile(ctx.setfacl, ['-m', perms, path])
  if (result.code !== 0) throw new Error(`setfacl -m ${perms} ${path} failed: ${result.stderr.trim()}`)
  ctx.log(`granted ${perms} on ${path} with a POSIX ACL so that the sandbox uid can ${why} it`)
}

/**
 * Gives the sandbox uid search permission on every ancestor of `path` (ACL `u:<uid>:x`).
 * @example await ensureReachable('/var/lib/msb/workspaces/py1', ctx)
 */
export async function ensureReachable(path: string, ctx: AccessContext): Promise<void> {
  if (!ctx.asRoot) return
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    if (!ctx.done.has(`x:${dir}`)) {
      const st = await stat(dir)
      if (!allows(st, ctx, X)) await grant(dir, `u:${ctx.uid}:x`, ctx, 'reach paths below')
      ctx.done.add(`x:${dir}`)
    }
    if (dir === '/') return
  }
}

/**
 * Creates `path` (and missing parents) as directories owned by the sandbox uid.
 * @example await createOwned('/srv/data/new', ctx)
 */
export async function createOwned(path: string, ctx: AccessContext): Promise<void> {
  const first = await mkdir(path, { recursive: true, mode: 0o755 })
  if (!first || !ctx.asRoot) return
  for (let dir = path; dir.length >= first.length; dir = dirname(dir)) await chown(dir, ctx.uid, ctx.gid)
  ctx.log(`created ${path} owned by uid ${ctx.uid}`)
}

/**
 * Makes an existing or missing host path usable for a bind: created owned by the uid when missing;
 * given an ACL entry (`rwx` plus a default entry, or `rx`) when its mode bits refuse the uid.
 * @example await prepareBindSource('/srv/data', false, ctx)
 */
export async function prepareBindSource(path: string, readOnly: boolean, ctx: AccessContext): Promise<void> {
  const st = await lstat(path).catch(() => null)
  if (!st) await createOwned(path, ctx)
  await ensureReachable(path, ctx)
  const key = `${readOnly ? 'ro' : 'rw'}:${path}`
  if (!ctx.asRoot || ctx.done.has(key)) return
  const current = await stat(path)
  const dir = current.isDirectory()
  const bits = (readOnly ? R : R | W) | (dir ? X : 0)
  if (!allows(current, ctx, bits)) {
    const perms = `${readOnly ? 'r' : 'rw'}${dir ? 'x' : ''}`
    const spec = dir && !readOnly ? `u:${ctx.uid}:${perms},d:u:${ctx.uid}:${perms}` : `u:${ctx.uid}:${perms}`
    await grant(path, spec, ctx, readOnly ? 'read' : 'write')
  }
  ctx.done.add(key)
}

/**
 * Hands a directory the runtime owns (a workspace, a private /tmp) to the sandbox uid.
 * @example await handOver('/var/lib/msb/workspaces/py1', ctx)
 */
export async function handOver(dir: string, ctx: AccessContext): Promise<void> {
  await ensureReachable(dir, ctx)
  if (!ctx.asRoot) return
  const st = await stat(dir)
  if (st.uid !== ctx.uid || st.gid !== ctx.gid) {
    await chown(dir, ctx.uid, ctx.gid)
  }
}
