/**
 * Configured-vs-running semantics that need no running sandbox (reference §4.1-4.3, §5, §9.6-9.8)
 * and the MCP endpoint (§10), once per dialect. A start with an unknown image configures the
 * sandbox and fails like a failed pull, which exercises every "configured but not running" path.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { rpc, send, startLocalServer, type TestServer } from '../helpers/local-server.ts'

const DIALECTS = [
  { name: 'upstream HEAD', strict: false },
  { name: 'v0.2.6', strict: true },
] as const

const internal = { error: 'Internal server error', code: 5002 }

for (const dialect of DIALECTS) {
  describe(`protocol: configured sandboxes and MCP (${dialect.name})`, () => {
    let server: TestServer
    let url: string
    let counter = 0
    const fresh = () => `ns${++counter}`
    beforeAll(async () => {
      server = await startLocalServer({ requireNamespace: dialect.strict })
      url = server.url
    })
    afterAll(() => server.stop())
    afterEach(async () => {
      expect((await send(url, '/api/v1/health', undefined, { method: 'GET' })).status).toBe(200)
    })

    it('before anything was started: stop is 400, metrics 500, start without config 400', async () => {
      const namespace = dialect.strict ? 'first' : undefined
      const p = (o: object) => (namespace ? { ...o, namespace } : o)
      const stop = await rpc(url, 'sandbox.stop', p({ sandbox: 'a' }))
      expect(stop.json()).toEqual({ error: dialect.strict ? "Namespace directory 'first' does not exist" : 'Project directory does not exist', code: 2001 })
      expect(await rpc(url, 'sandbox.metrics.get', p({}))).toMatchObject({ status: 500 })
      expect((await rpc(url, 'sandbox.metrics.get', p({}))).json()).toMatchObject(internal)
      const start = await rpc(url, 'sandbox.start', p({ sandbox: 'never-seen' }))
      expect(start.json()).toEqual({ error: "No configuration provided and no existing configuration found for sandbox 'never-seen'", code: 2001 })
      const again = await rpc(url, 'sandbox.stop', p({ sandbox: 'a' }))
      expect(again.json()).toEqual({ error: dialect.strict ? "Configuration file not found for namespace 'first'" : 'Configuration file not found', code: 2001 })
      expect((await rpc(url, 'sandbox.metrics.get', p({}))).status).toBe(500)
    })

    it('a failed pull configures the sandbox: stop succeeds, metrics lists it with nulls, unknown names fail', async () => {
      const namespace = fresh()
      const failed = await rpc(url, 'sandbox.start', { sandbox: 'img', namespace, config: { image: 'library/ubuntu', memory: 256 } })
      expect(failed.status).toBe(500)
      expect(failed.json()).toMatchObject(internal)
      expect((failed.json() as { detail: string }).detail).toMatch(/pull|image/)
      const reuse = await rpc(url, 'sandbox.start', { sandbox: 'img', namespace })
      expect(reuse.status).toBe(500)
      const unknown = await rpc(url, 'sandbox.start', { sandbox: 'never-seen', namespace })
      expect(unknown.json()).toEqual({ error: "Sandbox 'never-seen' not found in existing configuration", code: 2001 })
      const stop = await rpc(url, 'sandbox.stop', { sandbox: 'img', namespace }, { id: '10' })
      expect(stop).toMatchObject({ status: 200, text: '{"jsonrpc":"2.0","result":"Sandbox img stopped successfully","id":"10"}' })
      expect((await rpc(url, 'sandbox.stop', { sandbox: 'ghost', namespace })).json()).toMatchObject(internal)
      await rpc(url, 'sandbox.start', { sandbox: 'old', namespace, config: { image: 'docker.io/someone/else:latest' } })
      const all = await rpc(url, 'sandbox.metrics.get', { namespace })
      const item = (name: string) => ({ cpu_usage: null, disk_usage: null, memory_usage: null, name, namespace, running: false })
      expect(all.text).toBe(JSON.stringify({ jsonrpc: '2.0', result: { sandboxes: [item('img'), item('old')] }, id: 1 }))
      const one = await rpc(url, 'sandbox.metrics.get', { sandbox: 'old', namespace })
      expect(one.json()).toEqual({ jsonrpc: '2.0', result: { sandboxes: [item('old')] }, id: 1 })
      expect((await rpc(url, 'sandbox.metrics.get', { sandbox: 'ghost', namespace })).json()).toMatchObject(internal)
      for (const method of ['sandbox.repl.run', 'sandbox.command.run']) {
        const r = await rpc(url, method, { sandbox: 'img', namespace, language: 'python', code: '1', command: 'true' })
        expect(r.json()).toEqual({ ...internal, detail: 'No portal port assigned for sandbox img' })
      }
    })

    it('a start with a new image replaces the whole config', async () => {
      const namespace = fresh()
      await rpc(url, 'sandbox.start', { sandbox: 's', namespace, config: { image: 'bad/one', memory: 300, envs: ['A=1'] } })
      await rpc(url, 'sandbox.start', { sandbox: 's', namespace, config: { image: 'bad/two' } })
      const { readFile } = await import('node:fs/promises')
      const stored = JSON.parse(await readFile(`${server.stateDir}/projects/${namespace}/Sandboxfile.json`, 'utf8')) as { sandboxes: Array<{ name: string; config: Record<string, unknown> }> }
      expect(stored.sandboxes).toHaveLength(1)
      expect(stored.sandboxes[0]?.config).toMatchObject({ image: 'bad/two', envs: [] })
      expect(stored.sandboxes[0]?.config.memory).toBeUndefined()
    })

    it('metrics with `*` lists every namespace and carries `namespace`', async () => {
      const a = fresh()
      const b = fresh()
      await rpc(url, 'sandbox.start', { sandbox: 'x', namespace: a, config: { image: 'nope' } })
      await rpc(url, 'sandbox.start', { sandbox: 'y', namespace: b, config: { image: 'nope' } })
      const all = (await rpc(url, 'sandbox.metrics.get', { namespace: '*' })).json() as { result: { sandboxes: Array<{ name: string; namespace: string }> } }
      expect(all.result.sandboxes).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'x', namespace: a }), expect.objectContaining({ name: 'y', namespace: b })]))
    })

    it.skipIf(dialect.strict)('HEAD: without a namespace the sandbox lives in "default" and items carry no namespace', async () => {
      await rpc(url, 'sandbox.start', { sandbox: 'plain', config: { image: 'nope' } })
      const items = (await rpc(url, 'sandbox.metrics.get', {})).json() as { result: { sandboxes: Array<Record<string, unknown>> } }
      expect(items.result.sandboxes.find((s) => s.name === 'plain')).toEqual({ cpu_usage: null, disk_usage: null, memory_usage: null, name: 'plain', running: false })
      const explicit = (await rpc(url, 'sandbox.metrics.get', { namespace: 'default', sandbox: 'plain' })).json()
      expect(explicit).toMatchObject({ result: { sandboxes: [{ name: 'plain', namespace: 'default' }] } })
    })

    it.runIf(dialect.strict)('v0.2.6: namespace is required on start, stop and metrics', async () => {
      for (const method of ['sandbox.start', 'sandbox.stop', 'sandbox.metrics.get']) {
        const r = await rpc(url, method, { sandbox: 'x' })
        expect(r.json()).toEqual({ error: `Invalid params for ${method}: missing field \`namespace\``, code: 2001 })
      }
    })

    const mcp = (body: object | string) => send(url, '/mcp', body)

    it('MCP: initialize, notifications, tools, prompts, unknown methods', async () => {
      const init = await mcp({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 't', version: '0' } } })
      expect(init).toMatchObject({ status: 200, text: '{"jsonrpc":"2.0","result":{"capabilities":{"prompts":{"listChanged":false},"tools":{"listChanged":false}},"protocolVersion":"2024-11-05","serverInfo":{"name":"microsandbox-server","version":"0.2.6"}},"id":1}' })
      expect(await mcp({ jsonrpc: '2.0', method: 'notifications/initialized' })).toMatchObject({ status: 200, text: '' })
      const tools = (await mcp({ jsonrpc: '2.0', id: 2, method: 'tools/list' })).json() as { result: { tools: Array<{ name: string; inputSchema: { required: string[] } }> } }
      expect(tools.result.tools.map((t) => t.name)).toEqual(['sandbox_start', 'sandbox_stop', 'sandbox_run_code', 'sandbox_run_command', 'sandbox_get_metrics'])
      expect(tools.result.tools[2]?.inputSchema.required).toEqual(dialect.strict ? ['sandbox', 'namespace', 'code', 'language'] : ['sandbox', 'code', 'language'])
      const prompts = (await mcp({ jsonrpc: '2.0', id: 3, method: 'prompts/list' })).json() as { result: { prompts: Array<{ name: string }> } }
      expect(prompts.result.prompts.map((p) => p.name)).toEqual(['create_python_sandbox', 'create_node_sandbox'])
      const prompt = (await mcp({ jsonrpc: '2.0', id: 4, method: 'prompts/get', params: { name: 'create_node_sandbox', arguments: { sandbox_name: 'js1' } } })).json()
      expect(JSON.stringify(prompt)).toMatch(/js1.*microsandbox\/node.*512 MiB.*\/workspace/)
      expect((await mcp({ jsonrpc: '2.0', id: 5, method: 'ping' })).text).toBe(`{"jsonrpc":"2.0","error":{"code":-32603,"message":"MCP method error: Resource not found: MCP method 'ping' not found"},"id":5}`)
      expect(await mcp({ jsonrpc: '1.0', id: 6, method: 'initialize' })).toMatchObject({ status: 200, text: '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid or missing jsonrpc version field"},"id":6}' })
      expect((await mcp({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'nope', arguments: {} } })).text).toContain("MCP method error: Resource not found: Tool 'nope' not found")
      expect((await mcp({ jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'sandbox_stop' } })).text).toContain("Missing required 'arguments' parameter")
      expect(await mcp('{not json')).toMatchObject({ status: 400, text: 'Failed to parse the request body as JSON: key must be a string at line 1 column 2' })
      expect((await send(url, '/mcp', '{}', { headers: { 'content-type': 'text/plain' } })).status).toBe(415)
    })

    it('MCP tools/call: failures are isError content or -32603, never a dropped connection', async () => {
      const namespace = fresh()
      const ns = dialect.strict ? { namespace } : {}
      const call = async (name: string, args: unknown, id = 9) => (await mcp({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } })).json() as Record<string, unknown>
      expect(await call('sandbox_stop', {})).toEqual({ jsonrpc: '2.0', result: { content: [{ text: 'Error: Invalid parameters: missing field `sandbox`', type: 'text' }], isError: true }, id: 9 })
      expect(await call('sandbox_start', { ...ns, sandbox: 'p', config: { image: 'x', cpus: 1.5 } })).toMatchObject({ result: { isError: true, content: [{ text: 'Error: Invalid parameters: invalid type: floating point `1.5`, expected u8' }] } })
      const bad = await call('sandbox_start', { ...ns, sandbox: '-bad' })
      expect(bad).toMatchObject({ result: { isError: true, content: [{ text: 'Error: Sandbox start failed: Validation error: Sandbox name must start with an alphanumeric character' }] } })
      const run = await call('sandbox_run_code', { ...ns, sandbox: 'nope', code: '1', language: 'python' }, 4)
      expect(run).toEqual({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal error: Internal server error: No portal port assigned for sandbox nope' }, id: 4 })
      await call('sandbox_start', { ...ns, sandbox: 'cfg', config: { image: 'nope' } })
      const ghost = await call('sandbox_stop', { ...ns, sandbox: 'ghost' })
      expect(ghost).toMatchObject({ result: { isError: true } })
      expect(JSON.stringify(ghost)).toContain('Error: Sandbox stop failed: Internal server error: Failed to stop sandbox ghost: cannot find sandbox')
      const metrics = await call('sandbox_get_metrics', { ...ns, sandbox: 'cfg' })
      expect(metrics).toMatchObject({ result: { content: [{ type: 'text' }] } })
      expect(JSON.parse((metrics as { result: { content: Array<{ text: string }> } }).result.content[0]?.text ?? '')).toMatchObject({ sandboxes: [{ name: 'cfg', running: false }] })
    })
  })
}
