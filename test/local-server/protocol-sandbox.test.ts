/**
 * The parts of the protocol that need real sandboxes (reference §4.1-4.6, §9.6-9.9, §11 pairs):
 * start, repl.run, command.run, metrics of a running sandbox, restart keeping configs, stop
 * leaving no process behind, a sandbox that dies. Runs against the real runtime.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rpc, send, startLocalServer, type TestServer } from '../helpers/local-server.ts'

/** Pids of every live descendant of `root` (from /proc). */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)])
    } catch { /* the process ended meanwhile */ }
  }
  const out: number[] = []
  const queue = [root]
  while (queue.length) for (const c of children.get(queue.shift() as number) ?? []) { out.push(c); queue.push(c) }
  return out
}

const alive = (pid: number) => {
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ')
  } catch {
    return false
  }
}

/** Waits (bounded) for processes to be gone, then returns those still alive. */
async function survivors(pids: number[]): Promise<number[]> {
  for (let i = 0; i < 50 && pids.some(alive); i++) await new Promise((r) => setTimeout(r, 100))
  return pids.filter(alive)
}

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (;;) {
    const v = await fn()
    if (ok(v)) return v
    await new Promise((r) => setTimeout(r, 100))
  }
}

const DIALECTS = [
  { name: 'upstream HEAD', strict: false },
  { name: 'v0.2.6', strict: true },
] as const

for (const dialect of DIALECTS) {
  describe(`protocol: real sandboxes (${dialect.name})`, () => {
    let server: TestServer
    let url: string
    const ns = dialect.strict ? { namespace: 'default' } : {}
    const call = (method: string, params: object, id: unknown = 1) => rpc(url, method, { ...ns, ...params }, { id })
    beforeAll(async () => {
      server = await startLocalServer({ requireNamespace: dialect.strict, allowVolumes: [tmpdir()] })
      url = server.url
    }, 120_000)
    afterAll(() => server.stop())

    it('start returns when the sandbox can execute; python REPL keeps state and echoes expressions', async () => {
      const start = await call('sandbox.start', { sandbox: 'py1', config: { image: 'microsandbox/python', memory: 512, cpus: 1, envs: ['DEBUG=1'] } }, '1')
      expect(start).toMatchObject({ status: 200, text: '{"jsonrpc":"2.0","result":"Sandbox py1 started successfully","id":"1"}' })
      const r = await call('sandbox.repl.run', { sandbox: 'py1', language: 'python', code: 'x = 21\nprint(x * 2)\nx' }, '30')
      expect(r.text).toBe('{"jsonrpc":"2.0","result":{"language":"python","output":[{"stream":"stdout","text":"42"},{"stream":"stdout","text":"21"}],"status":"success"},"id":"30"}')
      const err = (await call('sandbox.repl.run', { sandbox: 'py1', language: 'Python', code: '1/0' })).json() as { result: { language: string; output: Array<{ stream: string; text: string }> } }
      expect(err.result.language).toBe('Python')
      expect(err.result.output.at(-1)).toEqual({ stream: 'stderr', text: 'ZeroDivisionError: division by zero' })
      const env = (await call('sandbox.command.run', { sandbox: 'py1', command: 'sh', args: ['-c', 'echo $DEBUG; pwd'] })).json()
      expect(env).toMatchObject({ result: { exit_code: 0, output: [{ stream: 'stdout', text: '1' }, { stream: 'stdout', text: '/workspace' }] } })
    })

    it('a start of a running sandbox is a no-op success (state survives)', async () => {
      const again = await call('sandbox.start', { sandbox: 'py1', config: { image: 'microsandbox/python' } })
      expect(again.json()).toMatchObject({ result: 'Sandbox py1 started successfully' })
      const r = (await call('sandbox.repl.run', { sandbox: 'py1', language: 'python', code: 'print(x)' })).json()
      expect(r).toMatchObject({ result: { output: [{ stream: 'stdout', text: '21' }] } })
    })

    it('repl timeout is a 200 with the timeout line; bad timeouts and languages are opaque 500s', async () => {
      const t = (await call('sandbox.repl.run', { sandbox: 'py1', language: 'python', code: 'import time\ntime.sleep(10)', timeout: 1 })).json() as { result: { output: Array<{ stream: string; text: string }>; status: string } }
      expect(t.result.status).toBe('success')
      expect(t.result.output).toContainEqual({ stream: 'stderr', text: 'Error: Execution timed out after 1 seconds' })
      for (const params of [{ timeout: 1.5 }, { timeout: -1 }, { timeout: '5' }, { language: 'ruby' }, { code: undefined }]) {
        const r = await call('sandbox.repl.run', { sandbox: 'py1', language: 'python', code: '1', ...params })
        expect(r.status, JSON.stringify(params)).toBe(500)
        expect(r.json()).toMatchObject({ error: 'Internal server error', code: 5002 })
      }
      expect(((await call('sandbox.repl.run', { sandbox: 'py1', language: 'ruby', code: '1' })).json() as { detail: string }).detail).toContain('Unsupported language: ruby')
      expect(((await call('sandbox.repl.run', { sandbox: 'py1', language: 'python' })).json() as { detail: string }).detail).toContain('missing field `code`')
    })

    it('commands: non-zero exit is a success envelope; spawn failures and timeouts are 500', async () => {
      const r = await call('sandbox.command.run', { sandbox: 'py1', command: 'sh', args: ['-c', 'echo out; echo err >&2; exit 3'], timeout: 10 }, '40')
      expect(r.text).toBe('{"jsonrpc":"2.0","result":{"args":["-c","echo out; echo err >&2; exit 3"],"command":"sh","exit_code":3,"output":[{"stream":"stdout","text":"out"},{"stream":"stderr","text":"err"}],"success":false},"id":"40"}')
      const ls = (await call('sandbox.command.run', { sandbox: 'py1', command: 'ls', args: ['/nonexistent'] })).json()
      expect(ls).toMatchObject({ result: { exit_code: 2, success: false, output: [{ stream: 'stderr' }] } })
      const missing = await call('sandbox.command.run', { sandbox: 'py1', command: 'nonexistentcommand' })
      expect(missing.status).toBe(500)
      expect(missing.json()).toMatchObject({ error: 'Internal server error', code: 5002 })
      const slow = await call('sandbox.command.run', { sandbox: 'py1', command: 'sh', args: ['-c', 'echo started; sleep 10'], timeout: 1 })
      expect(slow.status).toBe(500)
      expect(slow.json()).toMatchObject({ error: 'Internal server error', code: 5002, detail: 'Command timeout after 1 seconds', output: [{ stream: 'stdout', text: 'started' }] })
      expect((await call('sandbox.command.run', { sandbox: 'py1', command: 'true', args: 'x' })).status).toBe(500)
      expect((await call('sandbox.command.run', { sandbox: 'py1', command: 'true', timeout: 1.5 })).status).toBe(500)
      const py = (await call('sandbox.command.run', { sandbox: 'py1', command: 'node', args: ['-e', 'console.log(6*7)'] })).json()
      expect(py).toMatchObject({ result: { exit_code: 0, output: [{ stream: 'stdout', text: '42' }] } })
    })

    it('node: a second sandbox, nodejs REPL, metrics of running and stopped sandboxes', async () => {
      expect((await call('sandbox.start', { sandbox: 'js1', config: { image: 'microsandbox/node' } })).status).toBe(200)
      const r = await call('sandbox.repl.run', { sandbox: 'js1', language: 'nodejs', code: "console.log('hi'); console.error('warn')" }, '33')
      expect(r.text).toBe('{"jsonrpc":"2.0","result":{"language":"nodejs","output":[{"stream":"stdout","text":"hi"},{"stream":"stderr","text":"warn"}],"status":"success"},"id":"33"}')
      const m = (await call('sandbox.metrics.get', { sandbox: 'js1' })).json() as { result: { sandboxes: Array<Record<string, unknown>> } }
      const item = m.result.sandboxes[0] as Record<string, unknown>
      expect(item).toMatchObject({ name: 'js1', running: true })
      expect(typeof item.cpu_usage).toBe('number')
      expect(Number.isInteger(item.memory_usage)).toBe(true)
      expect(Number.isInteger(item.disk_usage)).toBe(true)
      expect(Object.keys(item)).toEqual(dialect.strict ? ['cpu_usage', 'disk_usage', 'memory_usage', 'name', 'namespace', 'running'] : ['cpu_usage', 'disk_usage', 'memory_usage', 'name', 'running'])
      const raw = (await call('sandbox.metrics.get', { sandbox: 'js1' })).text
      expect(raw).toMatch(/"cpu_usage":-?\d+(\.\d+)?(e-?\d+)?,/)
      expect(raw).toMatch(/"cpu_usage":[^,]*[.e]/)
    })

    it('stop: processes and workspace are gone, later calls fail at once; stopped sandboxes restart', async () => {
      const withJs = descendants(server.pid)
      expect((await readdir(join(server.stateDir, 'workspaces'))).length).toBe(2)
      expect((await call('sandbox.stop', { sandbox: 'js1' }, '10')).text).toBe('{"jsonrpc":"2.0","result":"Sandbox js1 stopped successfully","id":"10"}')
      expect((await call('sandbox.stop', { sandbox: 'js1' })).json()).toMatchObject({ result: 'Sandbox js1 stopped successfully' })
      const left = new Set(descendants(server.pid))
      expect(withJs.filter((pid) => !left.has(pid)).length).toBeGreaterThan(0)
      expect([...left].filter((pid) => !withJs.includes(pid))).toEqual([])
      const gone = await call('sandbox.repl.run', { sandbox: 'js1', language: 'nodejs', code: '1' })
      expect(gone.json()).toEqual({ error: 'Internal server error', code: 5002, detail: 'No portal port assigned for sandbox js1' })
      expect((await readdir(join(server.stateDir, 'workspaces'))).length).toBe(1)
      const stopped = (await call('sandbox.metrics.get', { sandbox: 'js1' })).json()
      expect(stopped).toMatchObject({ result: { sandboxes: [{ name: 'js1', running: false, cpu_usage: null, memory_usage: null, disk_usage: null }] } })
      expect((await call('sandbox.start', { sandbox: 'js1' })).json()).toMatchObject({ result: 'Sandbox js1 started successfully' })
      expect((await call('sandbox.repl.run', { sandbox: 'js1', language: 'javascript', code: '1 + 1' })).json()).toMatchObject({ result: { language: 'javascript', output: [{ stream: 'stdout', text: '2' }] } })
      expect((await call('sandbox.stop', { sandbox: 'js1' })).status).toBe(200)
    })

    it('concurrent starts of one sandbox launch it once', async () => {
      const starts = await Promise.all([1, 2, 3].map(() => call('sandbox.start', { sandbox: 'twin', config: { image: 'microsandbox/python' } })))
      for (const s of starts) expect(s.json()).toMatchObject({ result: 'Sandbox twin started successfully' })
      await call('sandbox.repl.run', { sandbox: 'twin', language: 'python', code: 'marker = 7' })
      expect((await call('sandbox.repl.run', { sandbox: 'twin', language: 'python', code: 'marker' })).json()).toMatchObject({ result: { output: [{ text: '7' }] } })
      expect((await readdir(join(server.stateDir, 'workspaces'))).length).toBe(2)
      expect((await call('sandbox.stop', { sandbox: 'twin' })).status).toBe(200)
    })

    it('volumes (absolute, relative to the project dir, read-only), envs and workdir from the config', async () => {
      const host = await mkdtemp(join(tmpdir(), 'msb-vol-'))
      const projectData = join(server.stateDir, 'projects', 'default', 'data')
      try {
        await writeFile(join(host, 'in.txt'), 'from host')
        await mkdir(projectData, { recursive: true })
        const config = { image: 'microsandbox/python', volumes: [`${host}:/input:ro`, 'data:/data'], envs: ['GREETING=hi there'], workdir: '/data' }
        expect((await call('sandbox.start', { sandbox: 'vol', config })).status).toBe(200)
        const run = (args: string) => call('sandbox.command.run', { sandbox: 'vol', command: 'sh', args: ['-c', args] })
        expect((await run('cat /input/in.txt; echo; pwd; echo "$GREETING"')).json()).toMatchObject({ result: { exit_code: 0, output: [{ text: 'from host' }, { text: '/data' }, { text: 'hi there' }] } })
        expect((await run('echo out > /data/out.txt')).json()).toMatchObject({ result: { exit_code: 0 } })
        expect(await readFile(join(projectData, 'out.txt'), 'utf8')).toBe('out\n')
        expect((await run('echo nope > /input/x.txt')).json()).toMatchObject({ result: { success: false } })
        expect((await call('sandbox.stop', { sandbox: 'vol' })).status).toBe(200)
        const badEnv = await call('sandbox.start', { sandbox: 'vol', config: { image: 'microsandbox/python', envs: ['1BAD'] } })
        expect(badEnv.json()).toMatchObject({ error: 'Internal server error', code: 5002 })
        const missing = await call('sandbox.start', { sandbox: 'vol', config: { image: 'microsandbox/python', volumes: ['/does/not/exist:/x'] } })
        expect(missing.status).toBe(500)
        // Only the project dir and --allow-volume directories may be mounted: not /etc, not the server's state.
        for (const volume of ['/etc:/hostetc:ro', '/:/host']) {
          const refused = await call('sandbox.start', { sandbox: 'vol', config: { image: 'microsandbox/python', volumes: [volume] } })
          expect(refused.status).toBe(500)
          expect(refused.json()).toMatchObject({ error: 'Internal server error', code: 5002, detail: expect.stringContaining('--allow-volume') })
        }
        // The state dir lies below an allowed root here (the temp dir), and is refused all the same.
        for (const volume of ['../..:/state', `${server.stateDir}/workspaces:/w`]) {
          const refused = await call('sandbox.start', { sandbox: 'vol', config: { image: 'microsandbox/python', volumes: [volume] } })
          expect(refused.json()).toMatchObject({ code: 5002, detail: expect.stringContaining("server's state") })
        }
        expect((await call('sandbox.start', { sandbox: 'vol', config: { image: 'microsandbox/python' } })).status).toBe(200)
        expect((await call('sandbox.stop', { sandbox: 'vol' })).status).toBe(200)
      } finally {
        await rm(host, { recursive: true, force: true })
      }
    })

    it('MCP sandbox_start and run_code reach real sandboxes', async () => {
      const mcp = (id: number, name: string, args: object) => send(url, '/mcp', { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: { ...ns, ...args } } })
      expect((await mcp(2, 'sandbox_start', { sandbox: 'mcp1', config: { image: 'microsandbox/python' } })).text).toBe('{"jsonrpc":"2.0","result":{"content":[{"text":"\\"Sandbox mcp1 started successfully\\"","type":"text"}]},"id":2}')
      const run = (await mcp(3, 'sandbox_run_code', { sandbox: 'mcp1', code: 'print(1+1)', language: 'python' })).json() as { result: { content: Array<{ text: string }> } }
      expect(JSON.parse(run.result.content[0]?.text ?? '')).toEqual({ language: 'python', output: [{ stream: 'stdout', text: '2' }], status: 'success' })
      expect((await mcp(4, 'sandbox_stop', { sandbox: 'mcp1' })).json()).toMatchObject({ result: { content: [{ text: '"Sandbox mcp1 stopped successfully"' }] } })
    })

    it('a sandbox killed from outside becomes not running and later calls say why', async () => {
      const others = new Set(descendants(server.pid))
      await call('sandbox.start', { sandbox: 'victim', config: { image: 'microsandbox/python' } })
      const own = descendants(server.pid).filter((pid) => !others.has(pid))
      expect(own.length).toBeGreaterThan(0)
      for (const pid of own) { try { process.kill(pid, 'SIGKILL') } catch { /* already gone */ } }
      const m = await until(() => call('sandbox.metrics.get', { sandbox: 'victim' }), (r) => (r.json() as { result: { sandboxes: Array<{ running: boolean }> } }).result.sandboxes[0]?.running === false)
      expect(m.status).toBe(200)
      const r = await call('sandbox.repl.run', { sandbox: 'victim', language: 'python', code: '1' })
      expect(r.status).toBe(500)
      expect((r.json() as { detail: string }).detail).toMatch(/No portal port assigned for sandbox victim \(the sandbox ended unexpectedly: .+\)/)
      expect((await call('sandbox.start', { sandbox: 'victim' })).status).toBe(200)
      expect((await call('sandbox.repl.run', { sandbox: 'victim', language: 'python', code: 'print(3)' })).json()).toMatchObject({ result: { output: [{ text: '3' }] } })
    })

    it('a restarted server keeps configs (as not running); SIGTERM leaves no process behind', async () => {
      const before = descendants(server.pid)
      expect(before.length).toBeGreaterThan(0)
      await server.restart()
      expect(await survivors(before)).toEqual([])
      const m = (await call('sandbox.metrics.get', {})).json() as { result: { sandboxes: Array<{ name: string; running: boolean }> } }
      expect(m.result.sandboxes.map((s) => s.name).sort()).toEqual(['js1', 'mcp1', 'py1', 'twin', 'victim', 'vol'])
      expect(m.result.sandboxes.every((s) => !s.running)).toBe(true)
      expect((await call('sandbox.repl.run', { sandbox: 'py1', language: 'python', code: '1' })).status).toBe(500)
      expect((await call('sandbox.start', { sandbox: 'py1' })).status).toBe(200)
      expect((await call('sandbox.repl.run', { sandbox: 'py1', language: 'python', code: 'print("back")' })).json()).toMatchObject({ result: { output: [{ text: 'back' }] } })
      const running = descendants(server.pid)
      expect(await server.kill('SIGTERM')).toBe(0)
      expect(await survivors(running)).toEqual([])
      await server.restart()
    })
  })
}

describe('protocol: the server caps repl/command timeouts (--max-timeout)', () => {
  let server: TestServer
  beforeAll(async () => { server = await startLocalServer({ maxTimeout: 1 }) }, 120_000)
  afterAll(() => server.stop())

  it('a call without a timeout (or with a larger one) stops at the cap', async () => {
    expect((await rpc(server.url, 'sandbox.start', { sandbox: 'cap', config: { image: 'microsandbox/python' } })).status).toBe(200)
    for (const timeout of [undefined, null, 100]) {
      const r = (await rpc(server.url, 'sandbox.repl.run', { sandbox: 'cap', language: 'python', code: 'import time\ntime.sleep(30)', timeout })).json() as { result: { output: Array<{ text: string }> } }
      expect(r.result.output.map((l) => l.text)).toContain('Error: Execution timed out after 1 seconds')
    }
    const cmd = await rpc(server.url, 'sandbox.command.run', { sandbox: 'cap', command: 'sleep', args: ['30'] })
    expect(cmd.json()).toMatchObject({ error: 'Internal server error', code: 5002, detail: 'Command timeout after 1 seconds' })
  })
})
