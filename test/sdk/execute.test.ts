/**
 * Code and commands through MicrosandboxWrapper against the real local server over HTTP:
 * state, success, output, timeouts, volumes.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLocalServer } from '../helpers/local-server.ts'
import { caught, makeWrapper } from '../helpers/wrapper.ts'
import type { MicrosandboxWrapper } from '../../src/index.ts'

let server: Awaited<ReturnType<typeof startLocalServer>>
let wrapper: MicrosandboxWrapper
let rwDir: string
let roDir: string

beforeAll(async () => {
  rwDir = await mkdtemp(join(tmpdir(), 'msbe-rw-'))
  roDir = await mkdtemp(join(tmpdir(), 'msbe-ro-'))
  server = await startLocalServer({ allowVolumes: [rwDir, roDir] })
  await writeFile(join(roDir, 'input.txt'), 'from the host\n')
  wrapper = makeWrapper({ serverUrl: server.url, sharedVolumeMappings: [`${rwDir}:/data`, `${roDir}:/input:ro`] })
})
afterAll(async () => {
  await wrapper?.stop()
  await server?.stop()
  for (const dir of [rwDir, roDir]) if (dir) await rm(dir, { recursive: true, force: true })
})

describe('python', () => {
  it('keeps state across calls of one session', async () => {
    const first = await wrapper.executeCode('x = 42')
    expect(first).toMatchObject({ success: true, sessionCreated: true, sessionRecreated: false, template: 'python', stdout: '', stderr: '' })
    const second = await wrapper.executeCode('print(x)', { sessionId: first.sessionId })
    expect(second).toMatchObject({ sessionId: first.sessionId, stdout: '42', success: true, sessionCreated: false })
  })

  it('echoes a bare expression', async () => {
    const r = await wrapper.executeCode('1 + 1')
    expect(r.stdout).toBe('2')
  })

  it('fails on an uncaught error, with the traceback in stderr', async () => {
    const r = await wrapper.executeCode('1/0')
    expect(r.success).toBe(false)
    expect(r.timedOut).toBe(false)
    expect(r.stderr).toContain('Traceback (most recent call last):')
    expect(r.stderr).toContain('ZeroDivisionError: division by zero')
  })

  it('fails on a syntax error', async () => {
    const r = await wrapper.executeCode('def f(:\n  pass')
    expect(r.success).toBe(false)
    expect(r.stderr).toMatch(/SyntaxError/)
  })

  it('does not fail on a warning written to stderr', async () => {
    const r = await wrapper.executeCode('import warnings\nwarnings.warn("careful")\nprint("done")')
    expect(r.success).toBe(true)
    expect(r.stderr).toContain('careful')
    expect(r.stdout).toBe('done')
  })

  it('never trims output and keeps the order of stdout and stderr lines', async () => {
    const r = await wrapper.executeCode('import sys\nprint("  a  ")\nprint("b", file=sys.stderr)\nprint("")\nprint("c\\t")')
    expect(r.output).toEqual([
      { stream: 'stdout', text: '  a  ' },
      { stream: 'stderr', text: 'b' },
      { stream: 'stdout', text: '' },
      { stream: 'stdout', text: 'c\t' },
    ])
    expect(r.stdout).toBe('  a  \n\nc\t')
    expect(r.stderr).toBe('b')
  })

  it('times out: timedOut, not success, and the session keeps working', async () => {
    const r = await wrapper.executeCode('import time\ntime.sleep(30)', { timeout: 1 })
    expect(r).toMatchObject({ timedOut: true, success: false })
    expect(r.stderr).toContain('Error: Execution timed out after 1 seconds')
    const after = await wrapper.executeCode('print("alive")', { sessionId: r.sessionId })
    expect(after.stdout).toBe('alive')
  })
})

describe('node', () => {
  it('keeps state across calls, under every alias', async () => {
    const first = await wrapper.executeCode('let y = 20; globalThis.z = 1', { template: 'node' })
    expect(first).toMatchObject({ success: true, template: 'node' })
    const second = await wrapper.executeCode('console.log(y + 22)', { sessionId: first.sessionId, template: 'javascript' })
    expect(second.stdout).toBe('42')
    const third = await wrapper.executeCode('z + 1', { sessionId: first.sessionId, template: 'nodejs' })
    expect(third.stdout).toBe('2')
  })

  it('fails on an uncaught error and not on console.error', async () => {
    const bad = await wrapper.executeCode('throw new TypeError("nope")', { template: 'node' })
    expect(bad.success).toBe(false)
    expect(bad.output.map((l) => l.text).join('\n')).toContain('Uncaught TypeError: nope')
    const warn = await wrapper.executeCode('console.error("just a warning"); console.log("ok")', { template: 'node' })
    expect(warn).toMatchObject({ success: true, stdout: 'ok', stderr: 'just a warning' })
  })

  it('fails on a syntax error', async () => {
    const r = await wrapper.executeCode('let = ;', { template: 'node' })
    expect(r.success).toBe(false)
  })
})

describe('commands', () => {
  it('reports exit codes and stderr; a non-zero exit is a result, not an error', async () => {
    const r = await wrapper.executeCommand('sh', { args: ['-c', 'echo out; echo err >&2; exit 3'] })
    expect(r).toMatchObject({ exitCode: 3, success: false, timedOut: false, stdout: 'out', stderr: 'err', command: 'sh', args: ['-c', 'echo out; echo err >&2; exit 3'] })
    const ok = await wrapper.executeCommand('true')
    expect(ok).toMatchObject({ exitCode: 0, success: true })
  })

  it('runs in the same sandbox as the code of the session', async () => {
    const code = await wrapper.executeCode('open("/workspace/shared.txt", "w").write("hello")')
    const cmd = await wrapper.executeCommand('cat', { args: ['/workspace/shared.txt'], sessionId: code.sessionId })
    expect(cmd.stdout).toBe('hello')
  })

  it('a missing command is a COMMAND_NOT_FOUND error', async () => {
    const error = await caught(() => wrapper.executeCommand('definitely-not-a-command'))
    expect(error.code).toBe('COMMAND_NOT_FOUND')
    expect(error.message).toContain('definitely-not-a-command')
  })

  it('times out with timedOut and exit code 124', async () => {
    const r = await wrapper.executeCommand('sleep', { args: ['30'], timeout: 1 })
    expect(r).toMatchObject({ timedOut: true, success: false, exitCode: 124 })
    expect(r.stderr).toContain('timed out after 1 seconds')
  })
})

describe('volumes', () => {
  it('lists the mappings', async () => {
    expect(await wrapper.getVolumeMappings()).toEqual([
      { hostPath: rwDir, containerPath: '/data', readOnly: false },
      { hostPath: roDir, containerPath: '/input', readOnly: true },
    ])
  })

  it('reads and writes a volume from both sides; a read-only one refuses writes', async () => {
    await writeFile(join(rwDir, 'from-host.txt'), 'host says hi')
    const read = await wrapper.executeCode('print(open("/data/from-host.txt").read())\nprint(open("/input/input.txt").read(), end="")')
    expect(read.stdout).toBe('host says hi\nfrom the host')
    const write = await wrapper.executeCode('open("/data/from-sandbox.txt", "w").write("sandbox says hi")', { sessionId: read.sessionId })
    expect(write.success).toBe(true)
    expect(await readFile(join(rwDir, 'from-sandbox.txt'), 'utf8')).toBe('sandbox says hi')
    const refused = await wrapper.executeCommand('sh', { args: ['-c', 'echo x > /input/new.txt'], sessionId: read.sessionId })
    expect(refused.success).toBe(false)
    expect(refused.stderr).toMatch(/Read-only file system/)
  })
})

describe('bad input', () => {
  it.each([
    ['empty code', () => wrapper.executeCode('')],
    ['blank code', () => wrapper.executeCode('  \n ')],
    ['code that is not a string', () => wrapper.executeCode(42 as unknown as string)],
    ['an unknown template', () => wrapper.executeCode('1', { template: 'ruby' })],
    ['an unknown flavor', () => wrapper.executeCode('1', { flavor: 'huge' as 'small' })],
    ['a fractional timeout', () => wrapper.executeCode('1', { timeout: 1.5 })],
    ['a zero timeout', () => wrapper.executeCode('1', { timeout: 0 })],
    ['a negative timeout', () => wrapper.executeCode('1', { timeout: -3 })],
    ['a session id that is not a string', () => wrapper.executeCode('1', { sessionId: 7 as unknown as string })],
    ['an unknown option', () => wrapper.executeCode('1', { session_id: 'x' } as never)],
    ['args that are not strings', () => wrapper.executeCommand('ls', { args: [1] as unknown as string[] })],
  ])('%s is a VALIDATION_ERROR with the issues', async (_name, call) => {
    const error = await caught(call)
    expect(error.code).toBe('VALIDATION_ERROR')
    expect(error.status).toBe(400)
    expect(Array.isArray(error.details?.issues)).toBe(true)
  })

  it('code over the 2 MiB body limit is PAYLOAD_TOO_LARGE before any request', async () => {
    const before = (await wrapper.getResourceStats()).activeSessions
    const error = await caught(() => wrapper.executeCode(`x = "${'a'.repeat(2 * 1024 * 1024)}"`))
    expect(error.code).toBe('PAYLOAD_TOO_LARGE')
    expect((await wrapper.getResourceStats()).activeSessions).toBe(before)
  })

  it('code just under the limit runs', async () => {
    const r = await wrapper.executeCode(`x = "${'a'.repeat(1024 * 1024)}"\nprint(len(x))`)
    expect(r.stdout).toBe(String(1024 * 1024))
  })
})
