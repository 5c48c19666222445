/**
 * The local microsandbox-compatible server, for in-process use (the SDK's `npm start` embeds it).
 * @module
 */
import { createServer, type Server } from 'node:http'
import { realpathSync } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { createManager } from './manager.ts'
import { createMethods } from './rpc.ts'
import { createRequestHandler } from './server.ts'
import { createRuntime } from './runtime/index.ts'
import type { HostReport } from './runtime/types.ts'

/** Options of startLocalServer. */
export interface LocalServerOptions {
  /** Interface to bind; loopback by default. */
  host?: string
  /** Port; 0 picks a free one. Default 5555. */
  port?: number
  /** The server key for `msb_` API keys; omit for dev mode (no auth). */
  key?: string
  /** Where configs, workspaces and runtime files live. */
  stateDir: string
  /** v0.2.6 dialect: `namespace` required everywhere, scoped tokens. */
  requireNamespace?: boolean
  /** Cap on repl/command timeouts in seconds (default 1800). */
  maxTimeout?: number
  /** Host directories sandboxes may mount volumes from (besides the project dir); they must exist. */
  allowVolumes?: string[]
  /** Receives log lines (never keys). */
  log?: (line: string) => void
}

/** A started server. */
export interface LocalServer {
  url: string
  port: number
  /** What the runtime enforces on this host. */
  report: HostReport
  /** Stops every sandbox, then the HTTP server. */
  close(): Promise<void>
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      reject(e.code === 'EADDRINUSE' ? new Error(`Port ${port} on ${host} is already in use; pick another with --port`, { cause: e }) : e)
    })
    server.listen(port, host, () => {
      const address = server.address()
      resolvePort(typeof address === 'object' && address ? address.port : port)
    })
  })
}

/**
 * Starts the server: creates the sandbox runtime, then listens.
 * @example
 * const server = await startLocalServer({ port: 0, stateDir: '/tmp/msb' })
 * console.log(server.url)
 * await server.close()
 */
export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const { host = '127.0.0.1', port = 5555, key, requireNamespace = false, maxTimeout = 1800, log = () => {} } = options
  if (!Number.isInteger(maxTimeout) || maxTimeout <= 0) throw new Error('[microsandbox-edge] [local-server] option "maxTimeout" must be a positive integer')
  const stateDir = resolve(options.stateDir)
  await mkdir(stateDir, { recursive: true })
  // Nothing runs yet: workspaces left by a killed server are stale.
  await rm(join(stateDir, 'workspaces'), { recursive: true, force: true })
  const volumeRoots = (options.allowVolumes ?? []).map((dir) => {
    try {
      return realpathSync(resolve(dir))
    } catch {
      throw new Error(`--allow-volume ${dir}: no such directory`)
    }
  })
  const runtime = await createRuntime({ stateDir, log })
  const manager = createManager({ stateDir, runtime, strict: requireNamespace, maxTimeout, volumeRoots, log })
  const handler = createRequestHandler({ serverKey: key, strict: requireNamespace, methods: createMethods(manager, requireNamespace), log })
  const server = createServer({ noDelay: true, keepAlive: true }, handler)
  let actualPort: number
  try {
    actualPort = await listen(server, port, host)
  } catch (e) {
    await runtime.close()
    throw e
  }
  const urlHost = host.includes(':') ? `[${host}]` : host
  let closing: Promise<void> | undefined
  return {
    url: `http://${urlHost}:${actualPort}`,
    port: actualPort,
    report: runtime.report,
    close() {
      closing ??= (async () => {
        await new Promise<void>((done) => {
          server.close(() => done())
          server.closeAllConnections()
        })
        await manager.close()
      })()
      return closing
    },
  }
}
