import { beforeAll, describe, expect, it } from 'vitest'
import type { LaunchedSandbox } from '../../local-server/runtime/types.ts'
import { eventually, hostTree, js, py, running, texts, useRuntime } from './runtime-fixture.ts'

const fx = useRuntime()

describe('python REPL', () => {
  let sb: LaunchedSandbox
  beforeAll(async () => {
    sb = await fx.launch('microsandbox/python')
  })

  it('keeps state across calls and echoes bare expressions', async () => {
    expect(await py(sb, 'x = 21\nprint(x * 2)\nx')).toEqual([
      { stream: 'stdout', text: '42' },
      { stream: 'stdout', text: '21' },
    ])
    expect(await py(sb, '1 + 1')).toEqual([{ stream: 'stdout', text: '2' }])
    expect(await py(sb, 'x = 1')).toEqual([])
    expect(await py(sb, 'import math\ndef f(n):\n    return math.factorial(n)\n\ny = f(5)')).toEqual([])
    expect(texts(await py(sb, 'y, x'))).toEqual(['(120, 1)'])
  })

  it('prints tracebacks like the interactive interpreter and stops at the first error', async () => {
    expect(await py(sb, '1/0\nprint("not reached")')).toEqual([
      { stream: 'stderr', text: 'Traceback (most recent call last):' },
      { stream: 'stderr', text: '  File "<stdin>", line 1, in <module>' },
      { stream: 'stderr', text: 'ZeroDivisionError: division by zero' },
    ])
    expect(texts(await py(sb, 'def g():\n    raise ValueError("bad")\nprint("before")\ng()'))).toEqual([
      'before',
      'Traceback (most recent call last):',
      '  File "<stdin>", line 4, in <module>',
      '  File "<stdin>", line 2, in g',
      'ValueError: bad',
    ])
  })

  it('prints a syntax error without frames and runs nothing', async () => {
    const output = await py(sb, 'print("a")\nx y')
    expect(output.every((l) => l.stream === 'stderr')).toBe(true)
    expect(texts(output)).toEqual(['  File "<stdin>", line 2', '    x y', '      ^', 'SyntaxError: invalid syntax'])
  })

  it('captures print, sys.stdout and sys.stderr in order, keeping empty lines and a trailing partial line', async () => {
    const output = await py(sb, 'import sys\nprint("a")\nprint("b", file=sys.stderr)\n_ = sys.stdout.write("c\\n\\nd\\n")\nprint("", file=sys.stderr)\nsys.stdout.write("tail")')
    expect(output).toEqual([
      { stream: 'stdout', text: 'a' },
      { stream: 'stderr', text: 'b' },
      { stream: 'stdout', text: 'c' },
      { stream: 'stdout', text: '' },
      { stream: 'stdout', text: 'd' },
      { stream: 'stderr', text: '' },
      { stream: 'stdout', text: 'tail4' },
    ])
  })

  it('captures what child processes write to fds 1 and 2', async () => {
    const output = await py(sb, 'import subprocess\nsubprocess.run(["sh", "-c", "echo out; echo err >&2"])\nNone')
    expect(output).toContainEqual({ stream: 'stdout', text: 'out' })
    expect(output).toContainEqual({ stream: 'stderr', text: 'err' })
  })

  it('shows warnings as stderr lines', async () => {
    const output = await py(sb, 'import warnings\nwarnings.warn("careful")')
    expect(output).toContainEqual({ stream: 'stderr', text: '<stdin>:2: UserWarning: careful' })
  })

  it('times out, restarts the interpreter and says that state is lost', async () => {
    await py(sb, 'kept = 5')
    const output = await py(sb, 'print("started")\nimport time\ntime.sleep(30)', 1)
    expect(output[0]).toEqual({ stream: 'stdout', text: 'started' })
    expect(output.at(-1)).toEqual({ stream: 'stderr', text: 'Error: Execution timed out after 1 seconds' })
    expect(output.at(-2)?.text).toMatch(/python interpreter was stopped and restarted; earlier state is lost/)
    expect(texts(await py(sb, 'kept'), 'stderr').at(-1)).toBe("NameError: name 'kept' is not defined")
  })

  it('times out immediately with timeout 0 without running the code', async () => {
    await py(sb, 'counter = 0')
    expect(await sb.repl({ language: 'python', code: 'counter += 1', timeoutSec: 0 })).toEqual({
      output: [{ stream: 'stderr', text: 'Error: Execution timed out after 0 seconds' }],
    })
    expect(texts(await py(sb, 'counter'))).toEqual(['0'])
  })

  it('restarts after SystemExit and says so', async () => {
    await py(sb, 'z = 1')
    const output = await py(sb, 'print("bye")\nexit(3)')
    expect(texts(output)).toEqual(['bye', 'Error: the python interpreter exited with code 3; it was restarted and earlier state is lost'])
    expect(texts(await py(sb, 'z'), 'stderr').at(-1)).toBe("NameError: name 'z' is not defined")
  })

  it('says so on the next call when the interpreter died between calls', async () => {
    const workers = () => hostTree(sb.pid).slice(3)
    const before = workers()
    await py(sb, 'import os, threading, time\nthreading.Thread(target=lambda: (time.sleep(0.1), os._exit(5))).start()')
    expect(await eventually(() => before.every((p) => !running(p)) && workers().some((p) => !before.includes(p)))).toBe(true)
    expect(texts(await py(sb, 'print("next")'))).toEqual([
      'Error: the python interpreter exited with code 5 after the previous call; it was restarted and earlier state is lost',
      'next',
    ])
  })

  it('runs in /workspace with the default environment', async () => {
    expect(texts(await py(sb, 'import os\nprint(os.getcwd(), os.environ["HOME"], os.environ["LANG"])'))).toEqual(['/workspace /workspace C.UTF-8'])
  })

  it('starts node on first use in a python sandbox, with its own state', async () => {
    expect(await js(sb, 'let n = 40; n + 2')).toEqual([{ stream: 'stdout', text: '42' }])
    expect(await js(sb, 'n')).toEqual([{ stream: 'stdout', text: '40' }])
  })
})

describe('node REPL', () => {
  let sb: LaunchedSandbox
  beforeAll(async () => {
    sb = await fx.launch('microsandbox/node')
  })

  it('keeps let/const/var and functions across calls and echoes values with util.inspect', async () => {
    expect(await js(sb, 'let a = 5; const b = { k: [1, 2] }; var c = "s"; function f() { return a }')).toEqual([])
    expect(await js(sb, 'a += 1; f()')).toEqual([{ stream: 'stdout', text: '6' }])
    expect(await js(sb, 'b')).toEqual([{ stream: 'stdout', text: '{ k: [ 1, 2 ] }' }])
    expect(await js(sb, 'c')).toEqual([{ stream: 'stdout', text: "'s'" }])
    expect(await js(sb, 'undefined')).toEqual([])
    expect(await js(sb, '{ x: 1 }')).toEqual([{ stream: 'stdout', text: '{ x: 1 }' }])
  })

  it('supports top-level await and keeps its declarations', async () => {
    expect(await js(sb, 'const v = await Promise.resolve(41); v + 1')).toEqual([{ stream: 'stdout', text: '42' }])
    expect(await js(sb, 'v')).toEqual([{ stream: 'stdout', text: '41' }])
    expect(await js(sb, 'await new Promise((r) => setTimeout(() => r("later"), 20))')).toEqual([{ stream: 'stdout', text: "'later'" }])
  })

  it('sends console.log to stdout and console.error to stderr, in order', async () => {
    expect(await js(sb, "console.log('hi'); console.error('warn'); process.stdout.write('x\\n'); console.log('')")).toEqual([
      { stream: 'stdout', text: 'hi' },
      { stream: 'stderr', text: 'warn' },
      { stream: 'stdout', text: 'x' },
      { stream: 'stdout', text: '' },
    ])
  })

  it('prints uncaught errors as Node\'s REPL does', async () => {
    expect(await js(sb, 'nope')).toEqual([{ stream: 'stderr', text: 'Uncaught ReferenceError: nope is not defined' }])
    expect(await js(sb, "throw new TypeError('bad')")).toEqual([{ stream: 'stderr', text: 'Uncaught TypeError: bad' }])
    expect(await js(sb, 'throw 5')).toEqual([{ stream: 'stderr', text: 'Uncaught 5' }])
    expect(texts(await js(sb, "await Promise.reject(new RangeError('r'))"))).toEqual(['Uncaught RangeError: r'])
    const nested = await js(sb, "function boom() { throw new Error('deep') }\nboom()")
    expect(texts(nested)[0]).toBe('Uncaught Error: deep')
    expect(texts(nested)[1]).toMatch(/^ {4}at boom \(REPL\d+:1:\d+\)$/)
    expect(texts(await js(sb, 'x y')).at(-1)).toBe("Uncaught SyntaxError: Unexpected identifier 'y'")
  })

  it('shows warnings as stderr lines', async () => {
    const output = await js(sb, "process.emitWarning('careful'); await new Promise((r) => setImmediate(r))")
    expect(output.some((l) => l.stream === 'stderr' && l.text.includes('Warning: careful'))).toBe(true)
  })

  it('times out, restarts node and says that state is lost', async () => {
    await js(sb, 'globalThis.keep = 1')
    const output = await js(sb, 'console.log("spin"); while (true) {}', 1)
    expect(output[0]).toEqual({ stream: 'stdout', text: 'spin' })
    expect(output.at(-1)).toEqual({ stream: 'stderr', text: 'Error: Execution timed out after 1 seconds' })
    expect(output.at(-2)?.text).toMatch(/node interpreter was stopped and restarted; earlier state is lost/)
    expect(await js(sb, 'typeof keep')).toEqual([{ stream: 'stdout', text: "'undefined'" }])
  })

  it('restarts after process.exit() and says so', async () => {
    expect(texts(await js(sb, 'process.exit(0)'))).toEqual(['Error: the node interpreter exited with code 0; it was restarted and earlier state is lost'])
    expect(await js(sb, '1 + 1')).toEqual([{ stream: 'stdout', text: '2' }])
  })

  it('runs python on first use in a node sandbox', async () => {
    expect(await py(sb, 'print(6 * 7)')).toEqual([{ stream: 'stdout', text: '42' }])
  })
})
