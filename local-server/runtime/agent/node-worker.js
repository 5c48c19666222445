// The Node REPL worker: run by the agent as `node --expose-internals -e <this file>` inside the
// sandbox. fd 3 brings `<u32 len><code>` requests, fd 4 takes frames `<tag><u32 len><payload>`
// (o=stdout e=stderr r=ready d=done); fds 1 and 2 stay raw pipes for child processes. Code runs in
// the main context (useGlobal), so let/const persist across calls; top-level await is rewritten by
// Node's own REPL helper; the last expression's value is echoed with util.inspect.
;(() => {
  'use strict'
  const fs = require('fs')
  const vm = require('vm')
  const util = require('util')
  const { Writable } = require('stream')
  const { Console } = require('console')
  let awaitRewriter
  /** Node's REPL helper for top-level await (loaded on first use: it brings acorn, ~5 ms). */
  const topLevelAwait = (code) => {
    if (awaitRewriter === undefined) {
      try {
        awaitRewriter = require('internal/repl/await').processTopLevelAwait
      } catch {
        awaitRewriter = null
      }
    }
    return awaitRewriter ? awaitRewriter(code) : null
  }
  try {
    require('internal/modules/helpers').addBuiltinLibsToObject(globalThis, '<REPL>')
  } catch {}

  const writeAll = (fd, buf) => {
    let off = 0
    while (off < buf.length) {
      try {
        off += fs.writeSync(fd, buf, off)
      } catch (e) {
        if (e.code !== 'EAGAIN') throw e
      }
    }
  }
  const frame = (tag, body) => {
    const head = Buffer.allocUnsafe(5)
    head[0] = tag
    head.writeUInt32BE(body.length, 1)
    writeAll(4, body.length < 65536 ? Buffer.concat([head, body]) : head)
    if (body.length >= 65536) writeAll(4, body)
  }
  const stream = (tag) =>
    new Writable({
      decodeStrings: false,
      write(chunk, encoding, cb) {
        frame(tag, typeof chunk === 'string' ? Buffer.from(chunk, encoding === 'buffer' ? 'utf8' : encoding) : chunk)
        cb()
      },
    })
  const out = stream(0x6f)
  const err = stream(0x65)
  for (const [name, s, fd] of [['stdout', out, 1], ['stderr', err, 2]]) {
    s.fd = fd
    s.isTTY = false
    Object.defineProperty(process, name, { configurable: true, enumerable: true, get: () => s })
  }
  globalThis.console = new Console({ stdout: out, stderr: err, colorMode: false })

  // Frames of our own machinery end a stack, and so do the anonymous REPL frames before them (the
  // script's top level and the top-level-await wrapper), as in Node's REPL.
  const isMachinery = (line) => /\(node:vm[:)]|at node:vm|\[eval\]|\(node:internal\/vm/.test(line)
  const isTopLevel = (line) => /^\s+at REPL\d+:\d+:\d+$/.test(line)
  const trimStack = (stack) => {
    const lines = stack.split('\n')
    let first = lines.findIndex((l) => /^\s+at /.test(l))
    if (first < 0) first = lines.length
    let frames = lines.slice(first)
    const stop = frames.findIndex(isMachinery)
    if (stop >= 0) frames = frames.slice(0, stop)
    while (frames.length > 0 && isTopLevel(frames[frames.length - 1])) frames.pop()
    return [...lines.slice(0, first), ...frames].join('\n')
  }
  const describe = (e) => {
    if (!(e instanceof Error) || typeof e.stack !== 'string') return `Uncaught ${util.inspect(e)}`
    if (e.name === 'SyntaxError' && /^REPL\d+:\d+\n/.test(e.stack)) {
      const lines = e.stack.split('\n')
      const at = lines.findIndex((l) => l.startsWith('SyntaxError'))
      if (at > 0) return [...lines.slice(1, at), `Uncaught ${lines[at]}`].join('\n')
    }
    const stack = trimStack(e.stack)
    try {
      const own = Object.getOwnPropertyDescriptor(e, 'stack')
      if (own && own.writable) {
        const saved = e.stack
        e.stack = stack
        let text = util.inspect(e)
        e.stack = saved
        if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1)
        return `Uncaught ${text}`
      }
    } catch {}
    return `Uncaught ${stack}`
  }
  // Dynamic import() in REPL code uses the main context's loader; its one-time experimental
  // warning is about our machinery, not the user's code.
  const emitWarning = process.emitWarning
  process.emitWarning = function (warning, ...rest) {
    if (String(warning).includes('USE_MAIN_CONTEXT_DEFAULT_LOADER')) return
    return emitWarning.call(this, warning, ...rest)
  }
  const report = (e) => err.write(`${describe(e)}\n`)
  process.on('uncaughtException', report)
  process.on('unhandledRejection', report)

  let n = 0
  const compile = (code, filename) => {
    const options = { filename, importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER }
    if (/^\s*\{/.test(code) && /\}\s*$/.test(code)) {
      try {
        return new vm.Script(`(${code.trim()})\n`, options)
      } catch {}
    }
    return new vm.Script(code, options)
  }
  const evaluate = async (code) => {
    const filename = `REPL${++n}`
    let source = code
    let wrapped = false
    if (code.includes('await')) {
      try {
        const rewritten = topLevelAwait(code)
        if (rewritten !== null) {
          source = rewritten
          wrapped = true
        }
      } catch {}
    }
    try {
      let value = compile(source, filename).runInThisContext({ displayErrors: false })
      if (wrapped) {
        const result = await value
        value = result !== null && typeof result === 'object' ? result.value : undefined
      }
      if (value !== undefined) out.write(`${util.inspect(value, { showProxy: true })}\n`)
    } catch (e) {
      report(e)
    }
  }

  let buf = Buffer.alloc(0)
  let busy = Promise.resolve()
  const input = new (require('net').Socket)({ fd: 3, readable: true, writable: false })
  input.on('data', (chunk) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk
    while (buf.length >= 4) {
      const len = buf.readUInt32BE(0)
      if (buf.length < 4 + len) break
      const code = buf.subarray(4, 4 + len).toString('utf8')
      buf = buf.subarray(4 + len)
      busy = busy.then(() => evaluate(code)).then(() => frame(0x64, Buffer.alloc(0)))
    }
  })
  input.on('end', () => process.exit(0))
  frame(0x72, Buffer.alloc(0))
})()
