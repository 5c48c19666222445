/**
 * The HTTP layer on node:http: exactly `GET|HEAD /api/v1/health`, `POST /api/v1/rpc` and
 * `POST /mcp`, with axum's order of checks (auth, method, content type, body limit, JSON) and its
 * plain-text rejections.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { authenticate } from './auth.ts'
import { decodeEnvelope, rejectionText } from './envelope.ts'
import { internalError } from './errors.ts'
import { JsonError } from './json.ts'
import { handleMcp } from './mcp.ts'
import { handleRpc, type Method, type Reply } from './rpc.ts'

/** What the request handler needs. */
export interface HandlerOptions {
  /** The server key; undefined in dev mode (no auth). */
  serverKey: string | undefined
  /** v0.2.6 dialect. */
  strict: boolean
  methods: Map<string, Method>
  log: (line: string) => void
}

/** axum's DefaultBodyLimit. */
export const BODY_LIMIT = 2 * 1024 * 1024
const HEALTH = '{"message":"Service is healthy"}'
const TEXT = 'text/plain; charset=utf-8'

function send(res: ServerResponse, status: number, body = '', type?: string, extra?: Record<string, string>): void {
  const headers: Record<string, string | number> = { 'content-length': Buffer.byteLength(body), ...extra }
  if (type) headers['content-type'] = type
  if (res.req.headers.origin !== undefined) headers['access-control-allow-origin'] = '*'
  res.writeHead(status, headers).end(body)
}

/** axum's json_content_type: application/json or application/*+json, parameters allowed. */
export function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false
  const [essence = '', ...params] = value.split(';')
  const m = /^application\/([a-z0-9!#$&^_.+-]+)$/.exec(essence.trim().toLowerCase())
  if (!m || !params.every((p) => /^\s*[^\s=]+=\S+\s*$/.test(p))) return false
  const subtype = m[1] as string
  return subtype === 'json' || subtype.endsWith('+json')
}

/** How much of an oversized body is read and thrown away before answering 413, so the client can finish sending. */
const DISCARD_LIMIT = 64 * 1024 * 1024

/**
 * Reads the body up to `limit` bytes; undefined when it is larger. The rest of an oversized body
 * is read and discarded (up to DISCARD_LIMIT) before the caller answers, so a client still
 * uploading sees the 413 instead of a broken pipe.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = Number(req.headers['content-length'] ?? 0) > limit ? limit + 1 : 0
    const over = () => size > limit
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (!over()) chunks.push(chunk)
      else if (size > limit + DISCARD_LIMIT) {
        req.removeAllListeners('data')
        req.pause()
        resolve(undefined)
      }
    })
    req.on('end', () => resolve(over() ? undefined : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

async function handlePost(req: IncomingMessage, res: ServerResponse, path: string, scope: string | undefined, o: HandlerOptions): Promise<void> {
  if (req.method !== 'POST') return send(res, 405)
  if (!isJsonContentType(req.headers['content-type'])) return send(res, 415, 'Expected request with `Content-Type: application/json`', TEXT)
  const body = await readBody(req, BODY_LIMIT)
  if (body === undefined) return send(res, 413, 'Failed to buffer the request body: length limit exceeded', TEXT, { connection: 'close' })
  let env
  try {
    env = decodeEnvelope(body)
  } catch (e) {
    if (!(e instanceof JsonError)) throw e
    return send(res, e.category === 'data' ? 422 : 400, rejectionText(e), TEXT)
  }
  const reply: Reply = path === '/mcp'
    ? await handleMcp(o.methods, o.strict, env, scope)
    : await handleRpc(o.methods, env, scope, o.log)
  send(res, reply.status, reply.body, reply.body === '' ? undefined : 'application/json')
}

/** Creates the node:http request listener. */
export function createRequestHandler(o: HandlerOptions) {
  return function microsandboxHandler(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const path = q === -1 ? url : url.slice(0, q)
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
      return send(res, 200, '', undefined, {
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'GET,POST,PUT,DELETE',
        'access-control-allow-headers': 'authorization,accept,content-type',
      })
    }
    if (path === '/api/v1/health') {
      if (req.method === 'GET' || req.method === 'HEAD') return send(res, 200, HEALTH, 'application/json')
      return send(res, 405, '', undefined, { allow: 'GET,HEAD' })
    }
    if (path !== '/api/v1/rpc' && path !== '/mcp') return send(res, 404)
    let scope: string | undefined
    if (o.serverKey !== undefined) {
      const auth = authenticate(req.headers, o.serverKey, o.strict)
      if (!auth.ok) return send(res, auth.status, auth.body, 'application/json')
      scope = auth.namespace
    }
    handlePost(req, res, path, scope, o).catch((e: unknown) => {
      const err = internalError(e instanceof Error ? e.message : String(e))
      o.log(`request failed: ${err.detail ?? ''}`)
      if (!res.headersSent) send(res, 500, err.body(), 'application/json')
      else res.destroy()
    })
  }
}
