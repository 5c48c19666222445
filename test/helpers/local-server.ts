/**
 * Starts the local server as a real child process (`node --import tsx local-server/cli.ts --port 0 ...`) for
 * tests, on a fresh temporary state dir unless one is given.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { signApiKey } from '../../local-server/auth.ts'

/** Options of startLocalServer (test helper). */
export interface TestServerOptions {
  /** No auth (default true unless `key` is set). */
  dev?: boolean
  /** Server key: enables auth. */
  key?: string
  /** v0.2.6 dialect. */
  requireNamespace?: boolean
  /** Kept (not removed on stop) when given. */
  stateDir?: string
  maxTimeout?: number
  /** Host directories volumes may come from (`--allow-volume`). */
  allowVolumes?: string[]
}

/** A running server process. */
export interface TestServer {
  url: string
  port: number
  stateDir: string
  pid: number
  /** Mints a valid API key (only when a key is set). */
  apiKey?: (options?: { expiresInSeconds?: number; namespace?: string; now?: number }) => string
  /** SIGTERM, wait for exit, remove the temp state dir. Idempotent. */
  stop(): Promise<void>
  /** Sends a signal and waits for the exit code (the state dir is kept). */
  kill(signal?: NodeJS.Signals): Promise<number | null>
  /** Stops and starts again on the same port and state dir. */
  restart(): Promise<void>
  /** Everything the process printed on stderr so far. */
  stderr(): string
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode)
  return new Promise((done) => child.once('exit', (code) => done(code)))
}

function launch(args: string[]): Promise<{ child: ChildProcess; url: string; log: { text: string } }> {
  // `node --import tsx` rather than the tsx wrapper: one process, so `pid` and `kill()` reach the server itself.
  // stdin is a pipe from this process: if it dies, the server sees EOF and exits (--exit-on-stdin-close).
  const child = spawn(process.execPath, ['--import', 'tsx', 'local-server/cli.ts', '--exit-on-stdin-close', ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] })
  const log = { text: '' }
  child.stderr?.on('data', (d: Buffer) => { log.text += d.toString() })
  return new Promise((done, fail) => {
    let out = ''
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /listening on (http:\/\/\S+)/.exec(out)
      if (m) done({ child, url: m[1] as string, log })
    })
    child.once('exit', (code) => fail(new Error(`local server exited with ${code} before listening:\n${log.text}`)))
  })
}

/** Starts a server process and waits until it prints its URL. */
export async function startLocalServer(options: TestServerOptions = {}): Promise<TestServer> {
  const ownDir = options.stateDir === undefined
  const stateDir = options.stateDir ?? await mkdtemp(join(tmpdir(), 'msb-local-'))
  const dev = options.key === undefined ? options.dev ?? true : false
  const argsFor = (port: number) => [
    '--port', String(port), '--state-dir', stateDir,
    ...(dev ? ['--dev'] : options.key !== undefined ? ['--key', options.key] : []),
    ...(options.requireNamespace ? ['--require-namespace'] : []),
    ...(options.maxTimeout !== undefined ? ['--max-timeout', String(options.maxTimeout)] : []),
    ...(options.allowVolumes ?? []).flatMap((dir) => ['--allow-volume', dir]),
  ]
  let current: Awaited<ReturnType<typeof launch>>
  try {
    current = await launch(argsFor(0))
  } catch (error) {
    if (ownDir) await rm(stateDir, { recursive: true, force: true })
    throw error
  }
  const port = Number(new URL(current.url).port)
  let stopped = false
  const key = options.key
  const server: TestServer = {
    url: current.url,
    port,
    stateDir,
    get pid() { return current.child.pid as number },
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      const done = exited(current.child)
      current.child.kill(signal)
      return done
    },
    async stop() {
      if (stopped) return
      stopped = true
      await server.kill('SIGTERM')
      if (ownDir) await rm(stateDir, { recursive: true, force: true })
    },
    async restart() {
      await server.kill('SIGTERM')
      current = await launch(argsFor(port))
    },
    stderr: () => current.log.text,
  }
  if (key !== undefined) server.apiKey = (o = {}) => signApiKey(key, o)
  return server
}

/** One HTTP answer as a test sees it. */
export interface HttpAnswer {
  status: number
  type: string | null
  text: string
  json(): unknown
}

/** POSTs (or sends `method`) a raw or JSON body; content type application/json unless given. */
export async function send(url: string, path: string, body?: string | object, init: { method?: string; headers?: Record<string, string> } = {}): Promise<HttpAnswer> {
  const headers = { 'content-type': 'application/json', ...init.headers }
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
  const res = await fetch(url + path, { method: init.method ?? 'POST', headers, ...(payload === undefined ? {} : { body: payload }) })
  const text = await res.text()
  return { status: res.status, type: res.headers.get('content-type'), text, json: () => JSON.parse(text) as unknown }
}

/** Calls one JSON-RPC method on /api/v1/rpc with id 1 (or the given id). */
export function rpc(url: string, method: string, params?: unknown, options: { id?: unknown; headers?: Record<string, string> } = {}): Promise<HttpAnswer> {
  const body: Record<string, unknown> = { jsonrpc: '2.0', method, id: options.id ?? 1 }
  if (params !== undefined) body.params = params
  return send(url, '/api/v1/rpc', body, { headers: options.headers ?? {} })
}
