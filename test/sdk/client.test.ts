/**
 * The client against the real local server over real HTTP: round trips in both dialects, auth,
 * every error shape the server produces, deadlines and an unreachable server.
 */
import { createServer as createHttpServer, type Server } from 'node:http'
import { createServer as createNetServer } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signApiKey } from '../../local-server/auth.ts'
import { createClient, errorFromResponse, errorFromWire, type MicrosandboxClient } from '../../src/client/index.ts'
import { commandTimeoutOutcome } from '../../src/client/command-timeout.ts'
import { isSandboxError, type SandboxError } from '../../src/errors.ts'
import { startLocalServer } from '../helpers/local-server.ts'

type LocalServer = Awaited<ReturnType<typeof startLocalServer>>

const PYTHON = { image: 'microsandbox/python', memory: 1024, cpus: 1 }
const START = { timeoutMs: 120_000 }
const CALL = { timeoutMs: 30_000 }
const uniqueName = (tag: string) => `msbe-client-${tag}-${Math.random().toString(36).slice(2, 10)}`

/** Runs `fn`, expects a SandboxError and returns it. */
async function failure(fn: () => Promise<unknown>): Promise<SandboxError> {
  try {
    await fn()
  } catch (error) {
    if (!isSandboxError(error)) throw error
    return error
  }
  throw new Error('expected the call to fail, and it succeeded')
}

/** A loopback port nothing listens on. */
async function deadPort(): Promise<number> {
  const server = createNetServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** POSTs a raw body to the server, for answers our own client never provokes. */
function rawPost(url: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<Response> {
  return fetch(`${url}/api/v1/rpc`, { method: 'POST', headers, body })
}

describe('client against the local server (--dev, upstream HEAD dialect)', () => {
  let server: LocalServer
  let client: MicrosandboxClient
  const sent: Array<{ url: string; body: unknown; authorization: string | null }> = []
  const name = uniqueName('dev')

  beforeAll(async () => {
    server = await startLocalServer({ dev: true })
    // The injected fetch records what goes on the wire, then sends it for real.
    const recordingFetch: typeof fetch = (input, init) => {
      const headers = new Headers(init?.headers)
      sent.push({
        url: String(input instanceof Request ? input.url : input),
        body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
        authorization: headers.get('authorization'),
      })
      return globalThis.fetch(input, init)
    }
    client = createClient({ serverUrl: `${server.url}/`, namespace: 'default', fetch: recordingFetch })
    const message = await client.startSandbox(name, PYTHON, START)
    expect(message).toContain(name)
  }, 180_000)

  afterAll(async () => {
    await client?.stopSandbox(name).catch(() => undefined)
    await server?.stop()
  })

  it('health() asks the server and reports the round trip', async () => {
    const { latencyMs } = await client.health()
    expect(latencyMs).toBeGreaterThanOrEqual(0)
    expect(sent.some((s) => s.url.endsWith('/api/v1/health'))).toBe(true)
  })

  it('runs code in a persistent REPL, keeping state and the order of output lines', async () => {
    const first = await client.runRepl(name, 'python', 'x = 21\nprint(x * 2)', 10, CALL)
    expect(first.output).toEqual([{ stream: 'stdout', text: '42' }])
    const second = await client.runRepl(name, 'python', 'import sys\nprint("a")\nprint("b", file=sys.stderr)\nprint(x)', 10, CALL)
    expect(second.output.map((l) => l.text)).toEqual(['a', 'b', '21'])
    expect(second.output[1]?.stream).toBe('stderr')
  })

  it('returns a raised error as stderr lines, not as a failed call', async () => {
    const { output } = await client.runRepl(name, 'python', '1/0', 10, CALL)
    expect(output.every((l) => l.stream === 'stderr')).toBe(true)
    expect(output.at(-1)?.text).toContain('ZeroDivisionError')
  })

  it('runs commands: exit code, success and ordered output', async () => {
    const run = await client.runCommand(name, 'sh', ['-c', 'echo out; echo err >&2; exit 3'], 10, CALL)
    expect(run).toMatchObject({ exitCode: 3, success: false, timedOut: false })
    expect(run.output).toContainEqual({ stream: 'stdout', text: 'out' })
    expect(run.output).toContainEqual({ stream: 'stderr', text: 'err' })
    const ok = await client.runCommand(name, 'true', [], 10, CALL)
    expect(ok).toEqual({ exitCode: 0, success: true, output: [], timedOut: false })
  })

  it('reports metrics for one sandbox and for the namespace', async () => {
    const [one, ...rest] = await client.metrics(name)
    expect(rest).toEqual([])
    expect(one).toMatchObject({ name, running: true })
    expect(one && 'cpuUsage' in one && 'memoryUsage' in one && 'diskUsage' in one).toBe(true)
    const all = await client.metrics()
    expect(all.map((m) => m.name)).toContain(name)
  })

  it('sends what the protocol asks: an id, namespace always, no null or empty arrays, whole-second timeouts', async () => {
    sent.length = 0
    await client.metrics()
    await client.runCommand(name, 'true', [], 2.4, CALL)
    await client.runRepl(name, 'python', '1', 1.2, CALL)
    const [metrics, command, repl] = sent.map((s) => s.body as { id: unknown; method: string; params: Record<string, unknown> })
    expect(metrics).toMatchObject({ jsonrpc: '2.0', method: 'sandbox.metrics.get', params: { namespace: 'default' } })
    expect(metrics?.params).toEqual({ namespace: 'default' })
    expect(command?.params).toEqual({ sandbox: name, namespace: 'default', command: 'true', timeout: 3 })
    expect(repl?.params).toEqual({ sandbox: name, namespace: 'default', language: 'python', code: '1', timeout: 2 })
    for (const body of [metrics, command, repl]) expect(body?.id).toBeDefined()
    expect(new Set([metrics?.id, command?.id, repl?.id]).size).toBe(3)
    expect(sent.every((s) => s.authorization === null)).toBe(true)
  })

  it('sends the REPL timeout to the server, which stops the code and says so', async () => {
    const { output } = await client.runRepl(name, 'python', 'import time\ntime.sleep(5)', 1, CALL)
    expect(output).toContainEqual({ stream: 'stderr', text: 'Error: Execution timed out after 1 seconds' })
  })

  it('a command that runs past its timeout resolves timedOut with exit code 124', async () => {
    const run = await client.runCommand(name, 'sh', ['-c', 'echo started; sleep 10'], 1, CALL)
    expect(run).toMatchObject({ timedOut: true, exitCode: 124, success: false })
    expect(run.output.at(-1)).toEqual({ stream: 'stderr', text: 'Error: Command timed out after 1 seconds' })
  })

  it('a command that does not exist is COMMAND_NOT_FOUND naming it', async () => {
    const error = await failure(() => client.runCommand(name, 'no-such-command-xyz', [], 10, CALL))
    expect(error.code).toBe('COMMAND_NOT_FOUND')
    expect(error.message).toContain('no-such-command-xyz')
    expect(error.details).toMatchObject({ method: 'sandbox.command.run', command: 'no-such-command-xyz', httpStatus: 500, serverCode: 5002 })
  })

  it('an unknown sandbox is BACKEND_ERROR (the opaque 500)', async () => {
    const repl = await failure(() => client.runRepl('msbe-never-started', 'python', '1', 5, CALL))
    expect(repl.code).toBe('BACKEND_ERROR')
    expect(repl.details).toMatchObject({ method: 'sandbox.repl.run', httpStatus: 500, serverCode: 5002, serverMessage: 'Internal server error' })
    const stop = await failure(() => client.stopSandbox('msbe-never-configured'))
    expect(stop.code).toBe('BACKEND_ERROR')
    expect(stop.details).toMatchObject({ method: 'sandbox.stop', httpStatus: 500 })
  })

  it("a name the server refuses is VALIDATION_ERROR carrying the server's message", async () => {
    const error = await failure(() => client.startSandbox('-bad', PYTHON, START))
    expect(error.code).toBe('VALIDATION_ERROR')
    expect(error.message).toContain('Sandbox name must start with an alphanumeric character')
    expect(error.details).toMatchObject({ httpStatus: 400, serverCode: 2001 })
  })

  it('an image the server cannot run is SANDBOX_START_FAILED', async () => {
    const error = await failure(() => client.startSandbox(uniqueName('img'), { ...PYTHON, image: 'nobody/nothing' }, START))
    expect(error.code).toBe('SANDBOX_START_FAILED')
    expect(error.details).toMatchObject({ method: 'sandbox.start', httpStatus: 500, serverCode: 5002 })
  })

  it('code over the body limit is PAYLOAD_TOO_LARGE', async () => {
    const code = `x = "${'a'.repeat(3 * 1024 * 1024)}"`
    const error = await failure(() => client.runRepl(name, 'python', code, 5, CALL))
    expect(error.code).toBe('PAYLOAD_TOO_LARGE')
    expect(error.details).toMatchObject({ httpStatus: 413 })
  })

  it('a URL with a path in front of /api/v1 is an empty 404: BACKEND_ERROR saying so', async () => {
    const wrong = createClient({ serverUrl: `${server.url}/api/v1`, namespace: 'default' })
    const error = await failure(() => wrong.stopSandbox(name))
    expect(error.code).toBe('BACKEND_ERROR')
    expect(error.message).toContain('not a Microsandbox server')
    expect(error.details).toMatchObject({ httpStatus: 404 })
  })

  it('aborting through the caller\'s signal rejects with the caller\'s reason', async () => {
    const controller = new AbortController()
    const pending = client.runRepl(name, 'python', 'import time\ntime.sleep(2)', 10, { timeoutMs: 30_000, signal: controller.signal })
    controller.abort(new Error('caller gave up'))
    await expect(pending).rejects.toThrow('caller gave up')
  })

  it('a call past its deadline is BACKEND_TIMEOUT', async () => {
    const error = await failure(() => client.runRepl(name, 'python', 'import time; time.sleep(5)', 10, { timeoutMs: 1000 }))
    expect(error.code).toBe('BACKEND_TIMEOUT')
    expect(error.details).toMatchObject({ method: 'sandbox.repl.run', timeoutMs: 1000 })
  })

  it('the server answers each rejection shape the reference names, and errorFromResponse reads them', async () => {
    // Our client never sends these requests, so they are made raw against the real server.
    const cases: Array<[Response, string, string]> = [
      [await rawPost(server.url, '{"jsonrpc":"2.0","method":"sandbox.list","params":{},"id":"x"}'), 'BACKEND_ERROR', 'another dialect'],
      [await rawPost(server.url, '{"jsonrpc":"1.0","method":"sandbox.stop","params":{"sandbox":"a"},"id":7}'), 'BACKEND_ERROR', 'JSON-RPC envelope'],
      [await rawPost(server.url, '{"method":"sandbox.stop","params":{}}'), 'BACKEND_ERROR', 'Failed to deserialize the JSON body'],
      [await rawPost(server.url, '{not json'), 'BACKEND_ERROR', 'Failed to parse the request body as JSON'],
      [await rawPost(server.url, '{}', { 'content-type': 'text/plain' }), 'BACKEND_ERROR', 'Expected request with `Content-Type: application/json`'],
    ]
    for (const [response, code, text] of cases) {
      const error = await errorFromResponse('sandbox.stop', response, { serverUrl: server.url })
      expect(error.code).toBe(code)
      expect(error.message).toContain(text)
    }
  })

  it('stops a sandbox; later calls to it fail as BACKEND_ERROR', async () => {
    const other = uniqueName('stop')
    await client.startSandbox(other, PYTHON, START)
    await client.stopSandbox(other)
    const [after] = await client.metrics(other)
    expect(after?.running).toBe(false)
    const error = await failure(() => client.runRepl(other, 'python', '1', 5, CALL))
    expect(error.code).toBe('BACKEND_ERROR')
  }, 180_000)
})

describe('client against a server with auth (--key)', () => {
  const serverKey = 'client-test-server-key-0123456789'
  let server: LocalServer

  beforeAll(async () => {
    server = await startLocalServer({ key: serverKey })
  }, 60_000)
  afterAll(async () => {
    await server?.stop()
  })

  it('works with the right key, sent as a Bearer token', async () => {
    const apiKey = server.apiKey?.() ?? signApiKey(serverKey)
    const client = createClient({ serverUrl: server.url, apiKey, namespace: 'default' })
    const name = uniqueName('auth')
    await client.startSandbox(name, PYTHON, START)
    const { output } = await client.runRepl(name, 'python', 'print(6 * 7)', 10, CALL)
    expect(output).toEqual([{ stream: 'stdout', text: '42' }])
    await client.stopSandbox(name)
  }, 180_000)

  it('a wrong key is UNAUTHORIZED telling to check MSB_API_KEY, and never shows the key', async () => {
    const wrongKey = signApiKey('some-other-server-key-9876543210')
    const client = createClient({ serverUrl: server.url, apiKey: wrongKey, namespace: 'default' })
    const error = await failure(() => client.metrics())
    expect(error.code).toBe('UNAUTHORIZED')
    expect(error.message).toContain('MSB_API_KEY')
    expect(error.details).toMatchObject({ httpStatus: 401, serverCode: 1004 })
    const wire = JSON.stringify({ message: error.message, json: error.toJSON() })
    expect(wire).not.toContain(wrongKey)
    expect(wire).not.toContain(wrongKey.slice(4, 40))
  })

  it('no key, or a key without the msb_ prefix, is UNAUTHORIZED (1001)', async () => {
    for (const apiKey of [undefined, 'not-a-key']) {
      const error = await failure(() => createClient({ serverUrl: server.url, apiKey, namespace: 'default' }).stopSandbox('x'))
      expect(error.code).toBe('UNAUTHORIZED')
      expect(error.details).toMatchObject({ serverCode: 1001 })
      expect(error.message).not.toContain('not-a-key')
    }
  })

  it('health needs no key', async () => {
    const client = createClient({ serverUrl: server.url, namespace: 'default' })
    await expect(client.health()).resolves.toMatchObject({ latencyMs: expect.any(Number) })
  })
})

describe('client against the v0.2.6 dialect (requireNamespace: true)', () => {
  const serverKey = 'client-test-namespaced-key-0123456'
  let server: LocalServer

  beforeAll(async () => {
    server = await startLocalServer({ key: serverKey, requireNamespace: true })
  }, 60_000)
  afterAll(async () => {
    await server?.stop()
  })

  it('round-trips start, repl, command, metrics (items carry namespace) and stop', async () => {
    const client = createClient({ serverUrl: server.url, apiKey: signApiKey(serverKey, { namespace: '*' }), namespace: 'team-a' })
    const name = uniqueName('ns')
    await client.startSandbox(name, PYTHON, START)
    expect((await client.runRepl(name, 'python', 'print("ns")', 10, CALL)).output).toEqual([{ stream: 'stdout', text: 'ns' }])
    expect(await client.runCommand(name, 'sh', ['-c', 'exit 0'], 10, CALL)).toMatchObject({ exitCode: 0, success: true })
    const all = await client.metrics()
    expect(all).toContainEqual(expect.objectContaining({ name, namespace: 'team-a', running: true }))
    await client.stopSandbox(name)
  }, 180_000)

  it('the server really requires the namespace: a call without it is a 400 the client reads as VALIDATION_ERROR', async () => {
    const response = await rawPost(server.url, '{"jsonrpc":"2.0","method":"sandbox.metrics.get","params":{},"id":1}', {
      'content-type': 'application/json',
      authorization: `Bearer ${signApiKey(serverKey, { namespace: '*' })}`,
    })
    const error = await errorFromResponse('sandbox.metrics.get', response)
    expect(error.code).toBe('VALIDATION_ERROR')
    expect(error.message).toContain('namespace')
  })

  it('a key scoped to another namespace is FORBIDDEN', async () => {
    const client = createClient({ serverUrl: server.url, apiKey: signApiKey(serverKey, { namespace: 'team-b' }), namespace: 'team-a' })
    const error = await failure(() => client.metrics())
    expect(error.code).toBe('FORBIDDEN')
    expect(error.details).toMatchObject({ httpStatus: 403, serverCode: 3001 })
  })
})

describe('client when the server is unreachable or is something else', () => {
  it('a port nothing listens on is BACKEND_UNAVAILABLE, before the deadline, for every method', async () => {
    const serverUrl = `http://127.0.0.1:${await deadPort()}`
    const client = createClient({ serverUrl, namespace: 'default' })
    const calls: Array<() => Promise<unknown>> = [
      () => client.health({ timeoutMs: 10_000 }),
      () => client.metrics(undefined, { timeoutMs: 10_000 }),
      () => client.stopSandbox('x', { timeoutMs: 10_000 }),
      () => client.startSandbox('x', PYTHON, { timeoutMs: 10_000 }),
      () => client.runRepl('x', 'python', '1', 5, { timeoutMs: 10_000 }),
      () => client.runCommand('x', 'true', [], 5, { timeoutMs: 10_000 }),
    ]
    for (const call of calls) {
      const error = await failure(call)
      expect(error.code).toBe('BACKEND_UNAVAILABLE')
      expect(error.details).toMatchObject({ serverUrl })
      expect(error.retryable).toBe(true)
    }
  })

  it('retries only safe calls (and a start that never reached the server), never executions', async () => {
    const serverUrl = `http://127.0.0.1:${await deadPort()}`
    const attempts: Array<{ method: string; authorization: string | null }> = []
    // The injected fetch counts what is really sent; every attempt is refused by the closed port.
    const countingFetch: typeof fetch = (input, init) => {
      const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as { method: string }) : { method: 'health' }
      attempts.push({ method: body.method, authorization: new Headers(init?.headers).get('authorization') })
      return globalThis.fetch(input, init)
    }
    const client = createClient({ serverUrl, apiKey: 'msb_counting', namespace: 'default', fetch: countingFetch })
    const count = async (call: () => Promise<unknown>) => {
      attempts.length = 0
      expect((await failure(call)).code).toBe('BACKEND_UNAVAILABLE')
      return attempts.length
    }
    expect(await count(() => client.runRepl('x', 'python', '1', 5, { timeoutMs: 10_000 }))).toBe(1)
    expect(await count(() => client.runCommand('x', 'true', [], 5, { timeoutMs: 10_000 }))).toBe(1)
    expect(await count(() => client.metrics(undefined, { timeoutMs: 10_000 }))).toBe(3)
    expect(await count(() => client.stopSandbox('x', { timeoutMs: 10_000 }))).toBe(3)
    expect(await count(() => client.startSandbox('x', PYTHON, { timeoutMs: 10_000 }))).toBe(3)
    expect(attempts.every((a) => a.authorization === 'Bearer msb_counting')).toBe(true)
    expect(await count(() => client.health({ timeoutMs: 10_000 }))).toBe(3)
    expect(attempts.every((a) => a.authorization === null)).toBe(true)
  })

  it('a name that does not resolve is BACKEND_UNAVAILABLE', async () => {
    const client = createClient({ serverUrl: 'http://msbe-no-such-host.invalid:5555', namespace: 'default' })
    expect((await failure(() => client.metrics(undefined, { timeoutMs: 10_000 }))).code).toBe('BACKEND_UNAVAILABLE')
  })

  describe('a web server that is not a Microsandbox server', () => {
    // A real part cannot give these answers: the local server always speaks the protocol. A plain
    // web app at MSB_SERVER_URL is a real misconfiguration, so one stands in for it here.
    let web: Server
    let url: string
    beforeAll(async () => {
      web = createHttpServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' })
        res.end('<html><body>hello</body></html>')
      })
      await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve))
      url = `http://127.0.0.1:${(web.address() as { port: number }).port}`
    })
    afterAll(() => new Promise<void>((resolve) => web.close(() => resolve())))

    it('answers that are not what the protocol promises are BACKEND_ERROR', async () => {
      const client = createClient({ serverUrl: url, namespace: 'default' })
      for (const call of [() => client.metrics(), () => client.health(), () => client.runRepl('x', 'python', '1', 5, CALL)]) {
        const error = await failure(call)
        expect(error.code).toBe('BACKEND_ERROR')
        expect(error.message).toContain('not what the Microsandbox protocol promises')
      }
    })
  })
})

describe('errorFromWire: the reference\'s exact bodies', () => {
  // Some shapes cannot be caused through our own client (it always sends valid JSON with the
  // right Content-Type, so 415 and friends never happen), and portal failures carry no detail
  // on a real Microsandbox server. These Responses are built from the exact bodies in
  // reference/microsandbox-protocol.md sections 1-4 and 11, and read through the same function.
  const json = (status: number, body: string) => new Response(body, { status, headers: { 'content-type': 'application/json' } })
  const text = (status: number, body: string) => new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } })
  const ctx = { serverUrl: 'http://127.0.0.1:5555', apiKey: 'msb_SECRET.KEY.VALUE' }

  const cases: Array<[string, string, Response, string, string, Record<string, unknown>]> = [
    ['missing credentials', 'sandbox.stop', json(401, '{"error":"Invalid credentials","code":1001}'), 'UNAUTHORIZED', 'MSB_API_KEY', { serverCode: 1001 }],
    ['bad token', 'sandbox.stop', json(401, '{"error":"Invalid or expired token","code":1004}'), 'UNAUTHORIZED', 'MSB_API_KEY', { serverCode: 1004 }],
    ['namespace denied', 'sandbox.stop', json(403, '{"error":"Access denied","code":3001}'), 'FORBIDDEN', 'MSB_NAMESPACE', { serverCode: 3001 }],
    ['validation', 'sandbox.start', json(400, '{"error":"Sandbox name cannot exceed 63 characters","code":2001}'), 'VALIDATION_ERROR',
      'Sandbox name cannot exceed 63 characters', { serverCode: 2001, serverMessage: 'Sandbox name cannot exceed 63 characters' }],
    ['start 500', 'sandbox.start', json(500, '{"error":"Internal server error","code":5002}'), 'SANDBOX_START_FAILED', 'Internal server error', { serverCode: 5002 }],
    ['repl 500', 'sandbox.repl.run', json(500, '{"error":"Internal server error","code":5002}'), 'BACKEND_ERROR', 'Internal server error', { httpStatus: 500 }],
    ['500 with a local detail', 'sandbox.stop', json(500, '{"error":"Internal server error","code":5002,"detail":"cannot find sandbox: \'ghost\'"}'),
      'BACKEND_ERROR', "cannot find sandbox: 'ghost'", { detail: "cannot find sandbox: 'ghost'" }],
    ['spawn failure', 'sandbox.command.run', json(500, '{"error":"Internal server error","code":5002,"detail":"Failed to spawn command: Failed to spawn command: No such file or directory"}'),
      'COMMAND_NOT_FOUND', 'could not be started', { command: 'frobnicate' }],
    ['bad jsonrpc', 'sandbox.stop', json(400, '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid or missing jsonrpc version field"},"id":7}'),
      'BACKEND_ERROR', 'another dialect', { rpcCode: -32600 }],
    ['unknown method', 'sandbox.start', json(404, '{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found: sandbox.start"},"id":"x"}'),
      'BACKEND_ERROR', 'does not know the method sandbox.start', { rpcCode: -32601, httpStatus: 404 }],
    ['422', 'sandbox.stop', text(422, 'Failed to deserialize the JSON body into the target type: missing field `jsonrpc` at line 1 column 40'),
      'BACKEND_ERROR', 'missing field `jsonrpc`', { httpStatus: 422 }],
    ['400 text', 'sandbox.stop', text(400, 'Failed to parse the request body as JSON: key must be a string at line 1 column 2'),
      'BACKEND_ERROR', 'Failed to parse the request body as JSON', { httpStatus: 400 }],
    ['415', 'sandbox.stop', text(415, 'Expected request with `Content-Type: application/json`'), 'BACKEND_ERROR',
      'Expected request with `Content-Type: application/json`', { httpStatus: 415 }],
    ['413', 'sandbox.repl.run', text(413, 'Failed to buffer the request body: length limit exceeded'), 'PAYLOAD_TOO_LARGE', 'length limit exceeded', { httpStatus: 413 }],
    ['empty 404', 'sandbox.start', new Response(null, { status: 404 }), 'BACKEND_ERROR', 'not a Microsandbox server', { httpStatus: 404 }],
    ['empty 405', 'sandbox.start', new Response('', { status: 405 }), 'BACKEND_ERROR', 'not a Microsandbox server', { httpStatus: 405 }],
    ['200 that is not JSON-RPC', 'sandbox.stop', json(200, '{"ok":true}'), 'BACKEND_ERROR', 'not what the Microsandbox protocol promises', { httpStatus: 200 }],
    ['gateway 502', 'sandbox.stop', text(502, 'Bad Gateway'), 'BACKEND_UNAVAILABLE', 'unavailable', { httpStatus: 502 }],
  ]
  for (const [label, method, response, code, message, details] of cases) {
    it(`${label} -> ${code}`, async () => {
      const error = await errorFromResponse(method, response, { ...ctx, command: 'frobnicate' })
      expect(error.code).toBe(code)
      expect(error.message).toContain(message)
      expect(error.details).toMatchObject({ method, ...details })
    })
  }

  it('network failures are BACKEND_UNAVAILABLE naming the server and the reason', () => {
    const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5555'), { code: 'ECONNREFUSED' }) })
    const error = errorFromWire('sandbox.start', { networkError: refused }, ctx)
    expect(error.code).toBe('BACKEND_UNAVAILABLE')
    expect(error.details).toMatchObject({ serverUrl: ctx.serverUrl, reason: 'ECONNREFUSED', method: 'sandbox.start' })
    expect(error.cause).toBe(refused)
  })

  it('never lets the API key through, even when a body echoes it', () => {
    const error = errorFromWire('sandbox.stop', { status: 400, body: `bad header Bearer ${ctx.apiKey}` }, ctx)
    expect(JSON.stringify({ message: error.message, json: error.toJSON() })).not.toContain('SECRET')
  })

  it('a command 500 says timed out by detail, or by arriving after the timeout; otherwise it is not a timeout', () => {
    const opaque = '{"error":"Internal server error","code":5002}'
    expect(commandTimeoutOutcome({ status: 500, body: opaque, elapsedMs: 2_050 }, 2)).toEqual({
      exitCode: 124, success: false, timedOut: true,
      output: [{ stream: 'stderr', text: 'Error: Command timed out after 2 seconds' }],
    })
    expect(commandTimeoutOutcome({ status: 500, body: opaque, elapsedMs: 30 }, 2)).toBeUndefined()
    const detailed = '{"error":"Internal server error","code":5002,"detail":"Command timeout after 3 seconds","output":[{"stream":"stdout","text":"partial"}]}'
    expect(commandTimeoutOutcome({ status: 500, body: detailed, elapsedMs: 10 }, 3)?.output).toEqual([
      { stream: 'stdout', text: 'partial' },
      { stream: 'stderr', text: 'Error: Command timed out after 3 seconds' },
    ])
    const spawn = '{"error":"Internal server error","code":5002,"detail":"Failed to spawn command: x"}'
    expect(commandTimeoutOutcome({ status: 500, body: spawn, elapsedMs: 9_000 }, 2)).toBeUndefined()
  })
})
