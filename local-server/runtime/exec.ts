/**
 * Small process helpers for the runtime's own tools (bwrap probes, setfacl): run to completion
 * and collect the output, never through a shell.
 * @module
 */
import { spawn } from 'node:child_process'
import { access, constants } from 'node:fs/promises'
import { delimiter, join } from 'node:path'

/** Output of a finished helper process. */
export interface ExecResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Options of execFile. */
export interface ExecOptions {
  timeoutMs?: number
  /** Written to the program's stdin. */
  input?: string
  uid?: number
  gid?: number
}

/**
 * Runs a program to completion (killed after `timeoutMs`) and returns its exit status and output.
 * @example const { code, stdout } = await execFile('/usr/bin/bwrap', ['--version'])
 */
export function execFile(file: string, args: string[], options: ExecOptions = {}): Promise<ExecResult> {
  const { timeoutMs = 15_000, input, ...user } = options
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }, ...user })
    child.stdin.on('error', () => undefined)
    child.stdin.end(input ?? '')
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => err.push(b))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    const done = (code: number | null, signal: NodeJS.Signals | null, extra = '') => {
      clearTimeout(timer)
      resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() + extra })
    }
    child.on('error', (e) => done(null, null, e.message))
    child.on('close', (code, signal) => done(code, signal))
  })
}

/**
 * Finds an executable: the first of `candidates` (absolute paths) or of PATH's entries that exists.
 * @example await findExecutable('bwrap', ['/usr/bin/bwrap'])
 */
export async function findExecutable(name: string, candidates: string[] = []): Promise<string | null> {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((d) => d.startsWith('/'))
  for (const path of [...candidates, ...dirs.map((d) => join(d, name))]) {
    if (await access(path, constants.X_OK).then(() => true, () => false)) return path
  }
  return null
}
