/**
 * Protocol conformance of the local server, over real HTTP against the real server process:
 * routes, extractor rejections, the JSON-RPC envelope and params validation (reference §1, §3,
 * §4, §9, §11), once per dialect. Every bad input is followed by a health check.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { rpc, send, startLocalServer, type TestServer } from '../helpers/local-server.ts'

const DIALECTS = [
  { name: 'upstream HEAD', requireNamespace: false },
  { name: 'v0.2.6', requireNamespace: true },
] as const

for (const dialect of DIALECTS) {
  describe(`protocol: transport and envelope (${dialect.name})`, () => {
    let server: TestServer
    let url: string
    const ns = dialect.requireNamespace ? { namespace: 'default' } : {}
    beforeAll(async () => {
      server = await startLocalServer({ requireNamespace: dialect.requireNamespace })
      url = server.url
    })
    afterAll(() => server.stop())
    afterEach(async () => {
      const health = await send(url, '/api/v1/health', undefined, { method: 'GET' })
      expect(health.status).toBe(200)
    })

    it('GET and HEAD /api/v1/health answer the fixed message without auth', async () => {
      const get = await send(url, '/api/v1/health', undefined, { method: 'GET' })
      expect(get).toMatchObject({ status: 200, type: 'application/json', text: '{"message":"Service is healthy"}' })
      const head = await send(url, '/api/v1/health', undefined, { method: 'HEAD' })
      expect(head).toMatchObject({ status: 200, text: '' })
    })

    it('unknown paths and trailing slashes are 404 with an empty body; a wrong method is 405', async () => {
      for (const path of ['/', '/api/v1/sandbox/start', '/api/v1/rpc/', '/mcp/', '/api/v1/health/', '/API/V1/RPC']) {
        expect(await send(url, path, {}), path).toMatchObject({ status: 404, text: '' })
      }
      for (const [method, path] of [['GET', '/api/v1/rpc'], ['PUT', '/api/v1/rpc'], ['GET', '/mcp'], ['POST', '/api/v1/health'], ['DELETE', '/api/v1/health']] as const) {
        expect(await send(url, path, undefined, { method }), `${method} ${path}`).toMatchObject({ status: 405, text: '' })
      }
    })

    it('a query string does not change the route', async () => {
      const r = await rpc(url, 'sandbox.list', {}, {})
      const q = await send(url, '/api/v1/rpc?x=1', { jsonrpc: '2.0', method: 'sandbox.list', id: 1 })
      expect(q.status).toBe(r.status)
    })

    it('content type must be application/json or application/*+json (415 text/plain)', async () => {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'json', 'application/jsonx']) {
        const r = await send(url, '/api/v1/rpc', '{}', { headers: { 'content-type': type } })
        expect(r, type).toMatchObject({ status: 415, text: 'Expected request with `Content-Type: application/json`' })
        expect(r.type).toMatch(/^text\/plain/)
      }
      const missing = await fetch(`${url}/api/v1/rpc`, { method: 'POST', body: new Uint8Array([123, 125]) })
      expect(missing.status).toBe(415)
      for (const type of ['application/json; charset=utf-8', 'Application/JSON', 'application/vnd.api+json']) {
        const r = await send(url, '/api/v1/rpc', { jsonrpc: '2.0', method: 'nope', id: 1 }, { headers: { 'content-type': type } })
        expect(r.status, type).toBe(404)
      }
    })

    it('a body over 2 MiB is 413; the content type is checked first', async () => {
      const big = ' '.repeat(2 * 1024 * 1024 + 1)
      const r = await send(url, '/api/v1/rpc', big)
      expect(r).toMatchObject({ status: 413, text: 'Failed to buffer the request body: length limit exceeded' })
      expect(r.type).toMatch(/^text\/plain/)
      expect((await send(url, '/api/v1/rpc', big, { headers: { 'content-type': 'text/plain' } })).status).toBe(415)
      const exact = JSON.stringify({ jsonrpc: '2.0', method: 'nope', id: 1 })
      expect((await send(url, '/api/v1/rpc', exact + ' '.repeat(2 * 1024 * 1024 - exact.length))).status).toBe(404)
      expect((await send(url, '/mcp', big)).status).toBe(413)
    })

    it('malformed JSON is 400 text/plain with serde_json messages and positions', async () => {
      const cases: Array<[string, string]> = [
        ['{not json', 'key must be a string at line 1 column 2'],
        ['', 'EOF while parsing a value at line 1 column 0'],
        ['{"jsonrpc":"2.0"', 'EOF while parsing an object at line 1 column 16'],
        ['{"jsonrpc":"2.0",}', 'trailing comma at line 1 column 18'],
        ['{"jsonrpc" "2.0"}', 'expected `:` at line 1 column 12'],
        ['{"jsonrpc":"2.0" "method":"x"}', 'expected `,` or `}` at line 1 column 18'],
        ['{"jsonrpc":"2.0","method":"x"} x', 'trailing characters at line 1 column 32'],
        ['{"jsonrpc":"2.0","method":"x","params":[1,2,]}', 'params: trailing comma at line 1 column 45'],
        ['{"jsonrpc":"2.0","method":"x","params":{"a":tru}}', 'params.a: expected ident at line 1 column 48'],
        ['{"jsonrpc":"2.\\q"}', 'jsonrpc: invalid escape at line 1 column 16'],
        ['{"jsonrpc":"2.0","method":"x","params":01}', 'params: invalid number at line 1 column 41'],
        ['{"jsonrpc":"2.0","method":"x","params":[1 2]}', 'params: expected `,` or `]` at line 1 column 43'],
        ['{"jsonrpc":"2.0","method":"x","params":"a\u0001"}', 'params: control character (\\u0000-\\u001F) found while parsing a string at line 1 column 42'],
        ['{"jsonrpc":"2.0",\n"method":"x",\n"params":@}', 'params: expected value at line 3 column 10'],
        ['{"jsonrpc":"2.0","method":"x","params":' + '['.repeat(200) + ']'.repeat(200) + '}', 'recursion limit exceeded'],
      ]
      for (const [body, message] of cases) {
        const r = await send(url, '/api/v1/rpc', body)
        expect(r.status, body.slice(0, 60)).toBe(400)
        expect(r.type).toMatch(/^text\/plain/)
        expect(r.text, body.slice(0, 60)).toContain(`Failed to parse the request body as JSON: `)
        expect(r.text.endsWith(message) || r.text.includes(`: ${message}`), `${r.text} / ${message}`).toBe(true)
      }
      expect((await send(url, '/api/v1/rpc', '{not json')).text).toBe('Failed to parse the request body as JSON: key must be a string at line 1 column 2')
    })

    it('well-formed JSON that is no envelope is 422 text/plain (serde_path_to_error style)', async () => {
      const cases: Array<[string, string]> = [
        ['{"method":"sandbox.stop","params":{}}', 'missing field `jsonrpc` at line 1 column 37'],
        ['{"jsonrpc":"2.0"}', 'missing field `method` at line 1 column 17'],
        ['{"jsonrpc": 2, "method": "x"}', 'jsonrpc: invalid type: integer `2`, expected a string at line 1 column 13'],
        ['{"jsonrpc":"2.0","method":null}', 'method: invalid type: null, expected a string at line 1 column 30'],
        ['{"jsonrpc":"2.0","method":["x"]}', 'method: invalid type: sequence, expected a string at line 1 column 26'],
        ['[]', 'invalid length 0, expected struct JsonRpcRequest with 4 elements at line 1 column 2'],
        ['[{"jsonrpc":"2.0","method":"sandbox.metrics.get","params":{},"id":1}]', '[0]: invalid type: map, expected a string at line 1 column 1'],
        ['"x"', 'invalid type: string "x", expected struct JsonRpcRequest at line 1 column 3'],
        ['42', 'invalid type: integer `42`, expected struct JsonRpcRequest at line 1 column 2'],
        ['{"jsonrpc":"2.0","jsonrpc":"2.0","method":"x"}', 'duplicate field `jsonrpc` at line 1 column 26'],
      ]
      for (const [body, message] of cases) {
        const r = await send(url, '/api/v1/rpc', body)
        expect(r.status, body).toBe(422)
        expect(r.type).toMatch(/^text\/plain/)
        expect(r.text).toBe(`Failed to deserialize the JSON body into the target type: ${message}`)
      }
    })

    it('envelope: bad version is 400 -32600, unknown method 404 -32601, id echoed or omitted', async () => {
      const v1 = await send(url, '/api/v1/rpc', '{"jsonrpc":"1.0","method":"sandbox.stop","params":{"sandbox":"a"},"id":7}')
      expect(v1).toMatchObject({ status: 400, type: 'application/json', text: '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid or missing jsonrpc version field"},"id":7}' })
      const unknown = await send(url, '/api/v1/rpc', '{"jsonrpc":"2.0","method":"sandbox.list","params":{},"id":"x"}')
      expect(unknown).toMatchObject({ status: 404, text: '{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found: sandbox.list"},"id":"x"}' })
      const noId = await send(url, '/api/v1/rpc', '{"jsonrpc":"2.0","method":"constructor"}')
      expect(noId).toMatchObject({ status: 404, text: '{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found: constructor"}}' })
      const nullId = await send(url, '/api/v1/rpc', '{"jsonrpc":"2.0","method":"x","id":null,"extra":[1,{"deep":true}]}')
      expect(nullId.text).toBe('{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found: x"}}')
      const odd = await send(url, '/api/v1/rpc', '{"jsonrpc":"2.0","method":"x","id":{"b":1.0,"a":[12345678901234567890,-0]}}')
      expect(odd.text).toBe('{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found: x"},"id":{"a":[12345678901234567890,-0.0],"b":1.0}}')
      const positional = await send(url, '/api/v1/rpc', '["2.0","sandbox.nothing",{},5]')
      expect(positional).toMatchObject({ status: 404, text: '{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found: sandbox.nothing"},"id":5}' })
    })

    it('start/stop/metrics params fail like serde (400, code 2001)', async () => {
      const bad = async (method: string, params: unknown, message: string) => {
        const r = await rpc(url, method, params)
        expect(r.status, JSON.stringify(params)).toBe(400)
        expect(r.json()).toEqual({ error: message, code: 2001 })
      }
      const image = 'microsandbox/python'
      await bad('sandbox.start', { ...ns, config: { image } }, 'Invalid params for sandbox.start: missing field `sandbox`')
      await bad('sandbox.start', { ...ns, sandbox: 'py1', config: { image, cpus: 1.5 } }, 'Invalid params for sandbox.start: invalid type: floating point `1.5`, expected u8')
      const floatOne = await send(url, '/api/v1/rpc', `{"jsonrpc":"2.0","method":"sandbox.start","id":1,"params":{${dialect.requireNamespace ? '"namespace":"default",' : ''}"sandbox":"py1","config":{"image":"${image}","cpus":1.0}}}`)
      expect(floatOne.json()).toEqual({ error: 'Invalid params for sandbox.start: invalid type: floating point `1.0`, expected u8', code: 2001 })
      await bad('sandbox.start', { ...ns, sandbox: 'py1', config: { image, cpus: 256 } }, 'Invalid params for sandbox.start: invalid value: integer `256`, expected u8')
      await bad('sandbox.start', { ...ns, sandbox: 'py1', config: { image, memory: -1 } }, 'Invalid params for sandbox.start: invalid value: integer `-1`, expected u32')
      await bad('sandbox.start', { ...ns, sandbox: 'py1', config: { image, memory: '512' } }, 'Invalid params for sandbox.start: invalid type: string "512", expected u32')
      await bad('sandbox.start', { ...ns, sandbox: 'py1', config: { image, volumes: 'x' } }, 'Invalid params for sandbox.start: invalid type: string "x", expected a sequence')
      await bad('sandbox.start', { ...ns, sandbox: 'py1', config: { image, envs: [1] } }, 'Invalid params for sandbox.start: invalid type: integer `1`, expected a string')
      await bad('sandbox.start', { ...ns, sandbox: 5 }, 'Invalid params for sandbox.start: invalid type: integer `5`, expected a string')
      await bad('sandbox.start', { ...ns, sandbox: 'py1', config: 'x' }, 'Invalid params for sandbox.start: invalid type: string "x", expected struct SandboxConfig')
      await bad('sandbox.start', undefined, 'Invalid params for sandbox.start: invalid type: null, expected struct SandboxStartParams')
      await bad('sandbox.stop', { ...ns }, 'Invalid params for sandbox.stop: missing field `sandbox`')
      await bad('sandbox.stop', 'py1', 'Invalid params for sandbox.stop: invalid type: string "py1", expected struct SandboxStopParams')
      await bad('sandbox.metrics.get', undefined, 'Invalid params for sandbox.metrics.get: invalid type: null, expected struct SandboxMetricsGetParams')
      await bad('sandbox.metrics.get', { ...ns, sandbox: 1 }, 'Invalid params for sandbox.metrics.get: invalid type: integer `1`, expected a string')
    })

    it('sandbox names follow §4.0 on start, stop and metrics', async () => {
      const rules: Array<[string, string]> = [
        ['', 'Sandbox name cannot be empty'],
        ['a'.repeat(64), 'Sandbox name cannot exceed 63 characters'],
        ['has space', 'Sandbox name can only contain alphanumeric characters, hyphens, or underscores'],
        ['é', 'Sandbox name can only contain alphanumeric characters, hyphens, or underscores'],
        ['-bad', 'Sandbox name must start with an alphanumeric character'],
        ['_bad', 'Sandbox name must start with an alphanumeric character'],
      ]
      for (const [name, message] of rules) {
        for (const method of ['sandbox.start', 'sandbox.stop', 'sandbox.metrics.get']) {
          const r = await rpc(url, method, { ...ns, sandbox: name, config: { image: 'microsandbox/python' } })
          expect(r.status, `${method} ${name}`).toBe(400)
          expect(r.json()).toEqual({ error: message, code: 2001 })
        }
      }
      const ok = await rpc(url, 'sandbox.metrics.get', { ...ns, sandbox: 'a'.repeat(63) })
      expect(ok.status).not.toBe(400)
    })

    it('namespaces are validated; `*` is only for metrics', async () => {
      const r = await rpc(url, 'sandbox.start', { sandbox: 'x', namespace: '*', config: { image: 'microsandbox/python' } })
      expect(r.json()).toEqual({ error: 'Wildcard namespace (*) is not valid for sandbox creation', code: 2001 })
      expect((await rpc(url, 'sandbox.stop', { sandbox: 'x', namespace: '*' })).json()).toEqual({ error: 'Wildcard namespace (*) is not valid for sandbox creation', code: 2001 })
      expect((await rpc(url, 'sandbox.stop', { sandbox: 'x', namespace: 'a b' })).json()).toEqual({ error: 'Namespace can only contain alphanumeric characters, hyphens, or underscores', code: 2001 })
      expect((await rpc(url, 'sandbox.stop', { sandbox: 'x', namespace: '' })).json()).toEqual({ error: 'Namespace cannot be empty', code: 2001 })
      expect((await rpc(url, 'sandbox.metrics.get', { namespace: '*' })).status).toBe(200)
    })

    it('null array fields: accepted as [] at HEAD, 400 in v0.2.6', async () => {
      const r = await rpc(url, 'sandbox.start', { ...ns, sandbox: 'nulls', config: { volumes: null, envs: null } })
      if (dialect.requireNamespace) {
        expect(r.json()).toEqual({ error: 'Invalid params for sandbox.start: invalid type: null, expected a sequence', code: 2001 })
      } else {
        expect(r.status).toBe(400)
        expect((r.json() as { error: string }).error).not.toMatch(/Invalid params/)
      }
    })

    it('repl/command: params must be an object with a string sandbox (400); the rest is opaque (500)', async () => {
      for (const method of ['sandbox.repl.run', 'sandbox.command.run']) {
        expect((await rpc(url, method, ['py1'])).json()).toEqual({ error: "Request parameters must be an object containing 'sandbox'", code: 2001 })
        expect((await rpc(url, method)).json()).toEqual({ error: "Request parameters must be an object containing 'sandbox'", code: 2001 })
        expect((await rpc(url, method, { ...ns, language: 'python', code: '1' })).json()).toEqual({ error: "Missing required 'sandbox' parameter for portal request", code: 2001 })
        expect((await rpc(url, method, { ...ns, sandbox: 7 })).json()).toEqual({ error: "Missing required 'sandbox' parameter for portal request", code: 2001 })
        const missingNs = await rpc(url, method, { sandbox: 'py1', language: 'python', code: '1' })
        if (dialect.requireNamespace) expect(missingNs.json()).toEqual({ error: "Missing required 'namespace' parameter for portal request", code: 2001 })
        else expect(missingNs.status).toBe(500)
        for (const params of [{ sandbox: 'stopped-or-unknown', language: 'python', code: '1' }, { sandbox: 'has space', code: 1 }, { sandbox: '' }]) {
          const r = await rpc(url, method, { ...ns, ...params })
          expect(r.status).toBe(500)
          const body = r.json() as Record<string, unknown>
          expect(body).toMatchObject({ error: 'Internal server error', code: 5002 })
          expect(body.detail).toBe(`No portal port assigned for sandbox ${params.sandbox}`)
          expect(Object.keys(body).slice(0, 2)).toEqual(['error', 'code'])
        }
      }
    })
  })
}
