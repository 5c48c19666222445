/**
 * The runtime's side of the agent protocol: JSON lines over the sandbox's stdin/stdout, one reply
 * per request id; the agent's stderr (and bubblewrap's) goes to the log.
 * @module
 */
import type { Readable, Writable } from 'node:stream'

/** A reply of the agent (see agent/agent.py): output as `[stream, text]`, stream 0 stdout, 1 stderr. */
export interface AgentReply {
  id: number
  out?: [0 | 1, string][]
  trunc?: boolean
  exit?: number
  timeout?: boolean
  spawn?: string
  crash?: { code?: number; signal?: number }
  lost?: { code?: number; signal?: number }
  error?: string
}

/** A request to the agent, without its id. */
export type AgentRequest =
  | { t: 'repl'; lang: string; code: string; timeout: number | null }
  | { t: 'cmd'; cmd: string; args: string[]; timeout: number | null }

/** Requests, readiness and the last stderr lines of one agent. */
export interface AgentChannel {
  request(body: AgentRequest): Promise<AgentReply>
  /** Resolves when the image's interpreter is ready; rejects when the agent reports a failure. */
  readonly ready: Promise<void>
  /** Rejects every pending request (and readiness) with `error`. */
  failAll(error: Error): void
  /** The last lines the sandbox wrote to stderr (for failure messages). */
  recentErrors(): string[]
}

/** Calls `onLine` for every complete line of a stream. */
function lines(stream: Readable, onLine: (line: string) => void): void {
  let parts: string[] = []
  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => {
    let start = 0
    for (let i = chunk.indexOf('\n'); i >= 0; i = chunk.indexOf('\n', start)) {
      parts.push(chunk.slice(start, i))
      const line = parts.join('')
      parts = []
      start = i + 1
      onLine(line)
    }
    if (start < chunk.length) parts.push(chunk.slice(start))
  })
}

/**
 * Wires the agent's stdio.
 * @example const channel = createAgentChannel(child.stdin, child.stdout, child.stderr, log)
 */
export function createAgentChannel(input: Writable, output: Readable, errors: Readable, log: (line: string) => void): AgentChannel {
  const pending = new Map<number, { resolve: (r: AgentReply) => void; reject: (e: Error) => void }>()
  const recent: string[] = []
  let nextId = 1
  let failure: Error | null = null
  let onReady: { resolve: () => void; reject: (e: Error) => void } | null = null
  const ready = new Promise<void>((resolve, reject) => {
    onReady = { resolve, reject }
  })
  ready.catch(() => undefined)
  input.on('error', () => undefined)

  lines(output, (line) => {
    let message: AgentReply & { t?: string; msg?: string }
    try {
      message = JSON.parse(line) as AgentReply & { t?: string; msg?: string }
    } catch {
      log(`unexpected agent output: ${line.slice(0, 200)}`)
      return
    }
    if (message.t === 'ready') onReady?.resolve()
    else if (message.t === 'fail') onReady?.reject(new Error(message.msg ?? 'the agent failed to start'))
    else {
      const waiter = pending.get(message.id)
      pending.delete(message.id)
      waiter?.resolve(message)
    }
  })
  lines(errors, (line) => {
    recent.push(line)
    if (recent.length > 20) recent.shift()
    log(line)
  })

  return {
    ready,
    request(body) {
      if (failure) return Promise.reject(failure)
      const id = nextId++
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject })
        input.write(`${JSON.stringify({ ...body, id })}\n`)
      })
    },
    failAll(error) {
      failure ??= error
      onReady?.reject(error)
      for (const waiter of pending.values()) waiter.reject(error)
      pending.clear()
    },
    recentErrors: () => [...recent],
  }
}
