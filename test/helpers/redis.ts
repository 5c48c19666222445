/**
 * Starts a throwaway redis-server on a free loopback port for a test file, and stops it by PID.
 * @module
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A running redis-server owned by the test that started it. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>` */
  url: string
  port: number
  pid: number
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its working directory. */
  stop(): Promise<void>
}

const HOST = '127.0.0.1'
const READY_TIMEOUT_MS = 15_000

/**
 * Starts `redis-server --port <free> --save '' --appendonly no` and resolves once it answers PING.
 * Throws (never skips) when redis-server is not installed.
 * @example
 * const redis = await startRedis(); afterAll(() => redis.stop())
 */
export async function startRedis(): Promise<RedisServer> {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' })
  if (probe.error) {
    throw new Error(`redis-server is not installed or not on PATH (${probe.error.message}). Install it with: apt-get install -y redis-server`)
  }
  let lastError: unknown
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await launch(await freePort())
    } catch (error) {
      lastError = error // the port may have been taken between probing and binding: try another
    }
  }
  throw new Error(`redis-server did not start: ${String(lastError)}`, { cause: lastError })
}

async function launch(port: number): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'msbe-redis-'))
  const child = spawn('redis-server', [
    '--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', dir,
  ], { stdio: ['ignore', 'pipe', 'pipe'] })
  let log = ''
  child.stdout?.on('data', (chunk: Buffer) => { log += chunk.toString() })
  child.stderr?.on('data', (chunk: Buffer) => { log += chunk.toString() })
  const pid = child.pid
  if (pid === undefined) throw new Error('redis-server could not be spawned')
  const killOnExit = () => { try { process.kill(pid, 'SIGKILL') } catch { /* already gone */ } }
  process.once('exit', killOnExit)

  const stop = async () => {
    process.off('exit', killOnExit)
    await stopChild(child, pid)
    await rm(dir, { recursive: true, force: true })
  }
  try {
    await waitForPing(port, child, () => log)
  } catch (error) {
    await stop()
    throw error
  }
  return { url: `redis://${HOST}:${port}`, port, pid, stop }
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null
}

async function stopChild(child: ChildProcess, pid: number): Promise<void> {
  if (exited(child)) return
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  process.kill(pid, 'SIGTERM')
  const timer = setTimeout(() => { if (!exited(child)) process.kill(pid, 'SIGKILL') }, 5_000)
  await done
  clearTimeout(timer)
}

async function waitForPing(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (exited(child)) throw new Error(`redis-server exited with ${child.exitCode ?? child.signalCode}:\n${log()}`)
    if (await ping(port)) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`redis-server did not answer PING on port ${port} within ${READY_TIMEOUT_MS} ms:\n${log()}`)
}

/** Sends an inline PING and resolves true on `+PONG`. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port })
    let reply = ''
    const finish = (ok: boolean) => { socket.destroy(); resolve(ok) }
    socket.setTimeout(1_000, () => finish(false))
    socket.on('error', () => finish(false))
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', (chunk) => {
      reply += chunk.toString()
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'))
    })
  })
}

/** A port free on the loopback interface right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, HOST, () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => (port ? resolve(port) : reject(new Error('no free port'))))
    })
  })
}
