/**
 * Auth exactly like `msb server` (reference §2, §9.2, §11 "Auth failures"), the v0.2.6 namespace
 * scope of tokens, keygen and the CLI's startup errors, against real server processes.
 */
import { createHmac } from 'node:crypto'
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { rpc, send, startLocalServer, type TestServer } from '../helpers/local-server.ts'

const KEY = 'k3yK3yk3yK3yk3yK3yk3yK3yk3yK3y12'
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const b64 = (s: string) => Buffer.from(s).toString('base64url')
const now = () => Math.floor(Date.now() / 1000)

/** Signs an arbitrary header and payload (for malformed tokens). */
function token(header: object, payload: object, secret = KEY, alg = 'sha256'): string {
  const head = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}`
  return `msb_${head}.${createHmac(alg, secret).update(head).digest('base64url')}`
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, ['--import', 'tsx', 'local-server/cli.ts', ...args], { cwd: ROOT, timeout: 30_000 }, (error, stdout, stderr) => {
      done({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr })
    })
  })
}

const INVALID_CREDENTIALS = { error: 'Invalid credentials', code: 1001 }
const INVALID_TOKEN = { error: 'Invalid or expired token', code: 1004 }

describe('protocol: auth (upstream HEAD)', () => {
  let server: TestServer
  let url: string
  const metrics = (headers: Record<string, string>) => rpc(url, 'sandbox.metrics.get', {}, { headers })
  beforeAll(async () => {
    server = await startLocalServer({ key: KEY })
    url = server.url
  })
  afterAll(() => server.stop())
  afterEach(async () => {
    expect((await send(url, '/api/v1/health', undefined, { method: 'GET' })).status).toBe(200)
  })

  it('a valid key passes, with or without `Bearer `', async () => {
    const key = server.apiKey?.() as string
    expect(key).toMatch(/^msb_eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9\./)
    for (const auth of [`Bearer ${key}`, key]) {
      const r = await metrics({ authorization: auth })
      expect(r.status, auth.slice(0, 10)).toBe(500)
      expect(r.json()).toMatchObject({ error: 'Internal server error', code: 5002 })
    }
  })

  it('missing header, no msb_ prefix, lower-case bearer: 401 1001', async () => {
    const key = server.apiKey?.() as string
    for (const headers of [{}, { authorization: 'Bearer not-a-msb-key' }, { authorization: `bearer ${key}` }, { authorization: `Bearer  ${key}` }, { authorization: `Basic ${key}` }]) {
      const r = await metrics(headers)
      expect(r.status).toBe(401)
      expect(r.json()).toEqual(INVALID_CREDENTIALS)
      expect(r.type).toBe('application/json')
    }
  })

  it('expired, wrong signature, wrong alg, missing or non-integer claims: 401 1004', async () => {
    const t = now()
    const header = { typ: 'JWT', alg: 'HS256' }
    const bad = [
      token(header, { exp: t - 120, iat: t - 3600 }),
      token(header, { exp: t + 3600, iat: t }, 'another-secret'),
      token({ typ: 'JWT', alg: 'HS384' }, { exp: t + 3600, iat: t }, KEY, 'sha384'),
      token({ typ: 'JWT', alg: 'none' }, { exp: t + 3600, iat: t }),
      token(header, { exp: t + 3600 }),
      token(header, { iat: t }),
      token(header, { exp: t + 3600.5, iat: t }),
      token(header, { exp: t + 3600, iat: -1 }),
      token(header, { exp: String(t + 3600), iat: t }),
      'msb_not.a.jwt',
      'msb_',
      `${token(header, { exp: t + 3600, iat: t })}x`,
    ]
    for (const key of bad) {
      const r = await metrics({ authorization: `Bearer ${key}` })
      expect(r.status, key).toBe(401)
      expect(r.json()).toEqual(INVALID_TOKEN)
    }
  })

  it('exp within the 60 s leeway passes; extra claims such as namespace are ignored', async () => {
    const t = now()
    expect((await metrics({ authorization: `Bearer ${token({ typ: 'JWT', alg: 'HS256' }, { exp: t - 20, iat: t - 100 })}` })).status).toBe(500)
    expect((await metrics({ authorization: `Bearer ${server.apiKey?.({ namespace: 'team1' })}` })).status).toBe(500)
  })

  it('Proxy-Authorization wins over Authorization', async () => {
    const key = server.apiKey?.() as string
    expect((await metrics({ 'proxy-authorization': `Bearer ${key}`, authorization: 'Bearer junk' })).status).toBe(500)
    const r = await metrics({ 'proxy-authorization': 'Bearer junk', authorization: `Bearer ${key}` })
    expect(r.json()).toEqual(INVALID_CREDENTIALS)
  })

  it('auth runs before method, content type and body checks; health and unknown paths need none', async () => {
    expect((await send(url, '/api/v1/rpc', undefined, { method: 'GET' })).status).toBe(401)
    expect((await send(url, '/mcp', '{}', { headers: { 'content-type': 'text/plain' } })).status).toBe(401)
    expect((await send(url, '/api/v1/rpc', '{not json')).status).toBe(401)
    const key = server.apiKey?.() as string
    expect((await send(url, '/api/v1/rpc', undefined, { method: 'GET', headers: { authorization: `Bearer ${key}` } })).status).toBe(405)
    expect((await send(url, '/mcp', { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200)
    expect((await send(url, '/api/v1/health', undefined, { method: 'GET' })).status).toBe(200)
    expect((await send(url, '/nowhere', {})).status).toBe(404)
  })

  it('keygen prints a key the server accepts, with the requested lifetime and namespace', async () => {
    const out = await cli(['keygen', '--key', KEY, '--expire', '2h', '--namespace', 'team1'])
    expect(out.code).toBe(0)
    const key = out.stdout.trim()
    expect(key).toMatch(/^msb_[\w-]+\.[\w-]+\.[\w-]+$/)
    const claims = JSON.parse(Buffer.from(key.split('.')[1] as string, 'base64url').toString()) as { exp: number; iat: number; namespace: string }
    expect(claims.exp - claims.iat).toBe(7200)
    expect(claims.namespace).toBe('team1')
    expect((await metrics({ authorization: `Bearer ${key}` })).status).toBe(500)
    expect(out.stderr).not.toContain(KEY)
    const bare = JSON.parse(Buffer.from((await cli(['keygen', '--key', KEY, '--expire', '3'])).stdout.split('.')[1] as string, 'base64url').toString()) as { exp: number; iat: number }
    expect(bare.exp - bare.iat).toBe(3 * 3600)
  })
})

describe('protocol: token namespace scope (v0.2.6)', () => {
  let server: TestServer
  beforeAll(async () => { server = await startLocalServer({ key: KEY, requireNamespace: true }) })
  afterAll(() => server.stop())

  it('tokens must carry namespace; a scoped token only reaches its namespace', async () => {
    const headers = (key: string) => ({ authorization: `Bearer ${key}` })
    const headToken = server.apiKey?.() as string
    expect((await rpc(server.url, 'sandbox.metrics.get', { namespace: 'a' }, { headers: headers(headToken) })).json()).toEqual(INVALID_TOKEN)
    const all = server.apiKey?.({ namespace: '*' }) as string
    expect((await rpc(server.url, 'sandbox.metrics.get', { namespace: 'a' }, { headers: headers(all) })).status).toBe(500)
    const scoped = server.apiKey?.({ namespace: 'team1' }) as string
    const other = await rpc(server.url, 'sandbox.metrics.get', { namespace: 'team2' }, { headers: headers(scoped) })
    expect(other).toMatchObject({ status: 403 })
    expect(other.json()).toEqual({ error: 'Access denied', code: 3001 })
    const missing = await rpc(server.url, 'sandbox.metrics.get', {}, { headers: headers(scoped) })
    expect(missing.json()).toEqual({ error: "Missing or invalid 'namespace' in params for method 'sandbox.metrics.get'", code: 2001 })
    expect((await rpc(server.url, 'sandbox.metrics.get', { namespace: 'team1' }, { headers: headers(scoped) })).status).toBe(500)
    const mcp = await send(server.url, '/mcp', { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'sandbox_get_metrics', arguments: { namespace: 'team2' } } }, { headers: headers(scoped) })
    expect(mcp.status).toBe(403)
  })
})

describe('local server CLI', () => {
  it('without --dev or --key it creates <state-dir>/server.key (0600) that keygen uses', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'msb-key-'))
    const server = await startLocalServer({ dev: false, stateDir: dir })
    try {
      const key = await readFile(join(dir, 'server.key'), 'utf8')
      expect(key).toMatch(/^[A-Za-z0-9]{32}$/)
      expect((await stat(join(dir, 'server.key'))).mode & 0o777).toBe(0o600)
      expect(server.stderr()).not.toContain(key)
      expect(server.stderr()).toContain('keygen')
      expect((await rpc(server.url, 'sandbox.metrics.get', {})).status).toBe(401)
      const minted = (await cli(['keygen', '--state-dir', dir])).stdout.trim()
      expect((await rpc(server.url, 'sandbox.metrics.get', {}, { headers: { authorization: `Bearer ${minted}` } })).status).toBe(500)
    } finally {
      await server.stop()
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('bad flags, a taken port and a missing key file fail with exit code 1 and a clear message', async () => {
    const unknown = await cli(['--bogus'])
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toMatch(/unknown argument: --bogus[\s\S]*usage:/)
    expect(unknown.stderr).not.toMatch(/\n\s+at /)
    expect((await cli(['--dev', '--key', 'x'])).code).toBe(1)
    expect((await cli(['--port', 'abc', '--dev'])).code).toBe(1)
    const blocker = createServer()
    await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', () => done()))
    const port = (blocker.address() as { port: number }).port
    const dir = await mkdtemp(join(tmpdir(), 'msb-cli-'))
    try {
      const taken = await cli(['--dev', '--port', String(port), '--state-dir', dir])
      expect(taken.code).toBe(1)
      expect(taken.stderr).toContain(`Port ${port}`)
      expect(taken.stderr).not.toMatch(/\n\s+at /)
      const nokey = await cli(['keygen', '--state-dir', dir])
      expect(nokey.code).toBe(1)
      expect(nokey.stderr).toContain('Server key file not found')
    } finally {
      blocker.close()
      await rm(dir, { recursive: true, force: true })
    }
  })
})
