/**
 * Shared set-up of the runtime tests: one real runtime per test file in a temporary state dir,
 * sandboxes launched through it and all stopped afterwards, and host-side process helpers.
 * @module
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll } from 'vitest'
import { createRuntime, createRuntimeWith } from '../../local-server/runtime/index.ts'
import type { ImageName, LaunchedSandbox, OutputLine, RuntimeOptions, SandboxRuntime, SandboxSpec } from '../../local-server/runtime/types.ts'

/** Options of `useRuntime`. */
export interface FixtureOptions extends Partial<RuntimeOptions> {
  /** Run with the rlimit/affinity fallbacks instead of cgroups. */
  noCgroups?: boolean
}

/** What a test file gets from `useRuntime`. */
export interface RuntimeFixture {
  readonly runtime: SandboxRuntime
  readonly stateDir: string
  readonly logs: string[]
  /** Launches a sandbox (stopped after the file); `spec` overrides the defaults. */
  launch(image?: ImageName, spec?: Partial<SandboxSpec>): Promise<LaunchedSandbox & { spec: SandboxSpec }>
}

let counter = 0

/**
 * Creates the runtime before the file's tests and closes it (and every sandbox) after them.
 * @example const fx = useRuntime()
 */
export function useRuntime(options: FixtureOptions = {}): RuntimeFixture {
  let runtime: SandboxRuntime | null = null
  const stateDir = mkdtempSync(join(tmpdir(), 'msb-runtime-test-'))
  const logs: string[] = []
  const { noCgroups, ...rest } = options
  beforeAll(async () => {
    const opts = { stateDir, log: (line: string) => logs.push(line), ...rest }
    runtime = noCgroups ? await createRuntimeWith(opts, { noCgroups: true }) : await createRuntime(opts)
  })
  afterAll(async () => {
    await runtime?.close()
    rmSync(stateDir, { recursive: true, force: true })
  })
  return {
    get runtime() {
      if (!runtime) throw new Error('the runtime is not created yet')
      return runtime
    },
    stateDir,
    logs,
    async launch(image = 'microsandbox/python', spec = {}) {
      const id = `t${process.pid}-${++counter}`
      const workspaceDir = join(stateDir, 'workspaces', id)
      mkdirSync(workspaceDir, { recursive: true })
      const full: SandboxSpec = { id, label: `test/${id}`, image, memoryMib: 512, cpus: 1, volumes: [], envs: [], workdir: '/workspace', workspaceDir, ...spec }
      if (!runtime) throw new Error('the runtime is not created yet')
      const sandbox = await runtime.launch(full)
      return Object.assign(sandbox, { spec: full })
    },
  }
}

/** Texts of the lines of one stream (or all). */
export const texts = (output: OutputLine[], stream?: 'stdout' | 'stderr'): string[] =>
  output.filter((l) => !stream || l.stream === stream).map((l) => l.text)

/** Runs Python code and returns its output lines. */
export async function py(sandbox: LaunchedSandbox, code: string, timeoutSec = 30): Promise<OutputLine[]> {
  return (await sandbox.repl({ language: 'python', code, timeoutSec })).output
}

/** Runs JavaScript code and returns its output lines. */
export async function js(sandbox: LaunchedSandbox, code: string, timeoutSec = 30): Promise<OutputLine[]> {
  return (await sandbox.repl({ language: 'nodejs', code, timeoutSec })).output
}

/** Host pids of `root` and all its descendants. */
export function hostTree(root: number): number[] {
  const out: number[] = []
  const queue = [root]
  while (queue.length > 0) {
    const pid = queue.shift() as number
    let tasks: string[] = []
    try {
      tasks = readdirSync(`/proc/${pid}/task`)
    } catch {
      continue
    }
    out.push(pid)
    for (const tid of tasks) {
      try {
        queue.push(...readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number))
      } catch {}
    }
  }
  return out
}

/** True when the pid runs (exists and is not a zombie). */
export function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return false
  }
}

/** The host uid a process runs as. */
export function hostUid(pid: number): number {
  return Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1])
}

/** cgroup directories (any hierarchy) named after a sandbox id. */
export function cgroupDirs(id: string): string[] {
  const found: string[] = []
  for (const controller of ['memory', 'cpu', 'pids', 'cpuacct']) {
    const base = `/sys/fs/cgroup/${controller}/microsandbox-edge`
    let instances: string[] = []
    try {
      instances = readdirSync(base)
    } catch {
      continue
    }
    for (const instance of instances) {
      try {
        if (readdirSync(`${base}/${instance}`).includes(id)) found.push(`${base}/${instance}/${id}`)
      } catch {}
    }
  }
  return found
}

/** Polls `check` every 50 ms for up to 10 s (a bounded wait, not a timing assertion). */
export async function eventually(check: () => boolean): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if (check()) return true
    await new Promise((r) => setTimeout(r, 50))
  }
  return check()
}

/** Removes a directory tree, ignoring errors. */
export const removeDir = (dir: string): void => rmSync(dir, { recursive: true, force: true })
