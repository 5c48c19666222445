/**
 * `npm run demo`: starts the local microsandbox-compatible server in this process (no cloud, no
 * Docker), then runs Python, Node and a command through MicrosandboxWrapper, keeping state in a
 * session. Set MSB_SERVER_URL to use a server you already run instead.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startLocalServer } from '../local-server/index.ts'
import { MicrosandboxWrapper } from '../src/index.ts'

const stateDir = await mkdtemp(join(tmpdir(), 'msbe-demo-'))
const server = process.env.MSB_SERVER_URL ? undefined : await startLocalServer({ port: 0, stateDir })
const serverUrl = process.env.MSB_SERVER_URL ?? server!.url
console.log(server ? `local server on ${serverUrl} (limits: ${JSON.stringify(server.report.limits)})` : `server ${serverUrl}`)

const wrapper = MicrosandboxWrapper.fromEnv(process.env, { serverUrl, logLevel: 'warn' })
try {
  const a = await wrapper.executeCode('import sys\nx = 6 * 7\nprint(f"python {sys.version_info.major}.{sys.version_info.minor} says {x}")')
  console.log(`[${a.sessionId.slice(0, 8)}] ${a.stdout}   (${a.executionTimeMs} ms, new session: ${a.sessionCreated})`)
  const b = await wrapper.executeCode('x + 1', { sessionId: a.sessionId })
  console.log(`[${b.sessionId.slice(0, 8)}] ${b.stdout}   (state kept)`)
  const c = await wrapper.executeCommand('sh', { args: ['-c', 'echo "$(id -un) in $(pwd)"; ls /'], sessionId: a.sessionId })
  console.log(`[${c.sessionId.slice(0, 8)}] exit ${c.exitCode}: ${c.stdout.replace(/\n/g, ' ')}`)
  const n = await wrapper.executeCode('const os = require("os"); `node ${process.version} on ${os.platform()}`', { template: 'node' })
  console.log(`[${n.sessionId.slice(0, 8)}] ${n.stdout}`)
  const e = await wrapper.executeCode('1/0', { sessionId: a.sessionId })
  console.log(`[${e.sessionId.slice(0, 8)}] success: ${e.success}, stderr ends with: ${e.stderr.split('\n').at(-1)}`)
  console.log(await wrapper.getResourceStats())
} finally {
  await wrapper.stop()
  await server?.close()
  await rm(stateDir, { recursive: true, force: true })
}
