import { beforeAll, describe, expect, it } from 'vitest'
import { CommandFailure, type LaunchedSandbox } from '../../local-server/runtime/types.ts'
import { py, texts, useRuntime } from './runtime-fixture.ts'

const fx = useRuntime()

describe('commands', () => {
  let sb: LaunchedSandbox
  const run = (command: string, args: string[] = [], timeoutSec = 30) => sb.command({ command, args, timeoutSec })
  const failure = async (promise: Promise<unknown>): Promise<CommandFailure> => {
    const error = await promise.then(() => null, (e: unknown) => e)
    expect(error).toBeInstanceOf(CommandFailure)
    return error as CommandFailure
  }
  beforeAll(async () => {
    sb = await fx.launch('microsandbox/python')
  })

  it('returns exit codes and both streams; a non-zero exit is a normal result', async () => {
    expect(await run('sh', ['-c', 'echo out; echo err >&2; exit 3'])).toEqual({
      exitCode: 3,
      output: [
        { stream: 'stdout', text: 'out' },
        { stream: 'stderr', text: 'err' },
      ],
    })
    expect(await run('ls', ['/nonexistent'])).toEqual({
      exitCode: 2,
      output: [{ stream: 'stderr', text: "ls: cannot access '/nonexistent': No such file or directory" }],
    })
    expect(await run('true')).toEqual({ exitCode: 0, output: [] })
  })

  it('runs the program directly, without a shell, looked up on PATH', async () => {
    expect(texts((await run('echo', ['$HOME', '*', 'a b'])).output)).toEqual(['$HOME * a b'])
    expect(texts((await run('/usr/bin/env')).output).sort()).toEqual(['HOME=/workspace', 'LANG=C.UTF-8', 'PATH=/usr/local/bin:/usr/bin:/bin', 'PWD=/workspace'])
    expect(texts((await run('python3', ['-c', 'print(2 ** 10)'])).output)).toEqual(['1024'])
    expect(texts((await run('node', ['-e', 'console.log(6 * 7)'])).output)).toEqual(['42'])
  })

  it('reports a program that cannot be spawned', async () => {
    const error = await failure(run('nonexistentcommand'))
    expect(error.kind).toBe('spawn')
    expect(error.message).toBe('Failed to spawn command: nonexistentcommand: No such file or directory')
    expect((await failure(run('ls -la'))).kind).toBe('spawn')
    expect((await failure(run('/etc/passwd'))).message).toBe('Failed to spawn command: /etc/passwd: Permission denied')
  })

  it('reports a signal as 128 + its number', async () => {
    expect((await run('sh', ['-c', 'kill -9 $$'])).exitCode).toBe(137)
    expect((await run('sh', ['-c', 'kill -TERM $$'])).exitCode).toBe(143)
  })

  it('kills the whole process group on timeout and keeps the output so far', async () => {
    const error = await failure(run('sh', ['-c', 'echo started; sleep 300 & sleep 300; echo never'], 1))
    expect(error.kind).toBe('timeout')
    expect(error.message).toBe('Command timeout after 1 seconds')
    expect(error.output).toEqual([{ stream: 'stdout', text: 'started' }])
    const left = await py(sb, 'import os\nprint(sum(1 for p in os.listdir("/proc") if p.isdigit() and b"sleep" in open(f"/proc/{p}/cmdline", "rb").read()))')
    expect(texts(left)).toEqual(['0'])
  })

  it('times out immediately with timeout 0', async () => {
    const error = await failure(run('touch', ['/workspace/zero'], 0))
    expect(error.kind).toBe('timeout')
    expect(error.message).toBe('Command timeout after 0 seconds')
  })

  it('does not wait for background children that keep the output open', async () => {
    const result = await run('sh', ['-c', '(sleep 30; echo late) & echo early'])
    expect(result).toEqual({ exitCode: 0, output: [{ stream: 'stdout', text: 'early' }] })
  })

  it('runs commands concurrently', async () => {
    const waiter = run('sh', ['-c', 'while [ ! -e /tmp/go ]; do sleep 0.02; done; echo released'], 20)
    const starter = run('sh', ['-c', 'sleep 0.2; touch /tmp/go; echo started'])
    expect(texts((await starter).output)).toEqual(['started'])
    expect(texts((await waiter).output)).toEqual(['released'])
  })

  it('sees the same files as the REPL, with /dev/null as stdin', async () => {
    await py(sb, 'open("/workspace/shared.txt", "w").write("from python\\n")')
    expect(texts((await run('cat', ['/workspace/shared.txt'])).output)).toEqual(['from python'])
    await run('sh', ['-c', 'echo from sh > /tmp/t.txt'])
    expect(texts(await py(sb, 'print(open("/tmp/t.txt").read().strip())'))).toEqual(['from sh'])
    expect(await run('cat')).toEqual({ exitCode: 0, output: [] })
  })

  it('keeps empty lines and a trailing partial line, strips \\r', async () => {
    expect(texts((await run('printf', ['a\\r\\n\\nb'])).output)).toEqual(['a', '', 'b'])
  })
})

describe('commands with a custom environment and workdir', () => {
  it('sets envs on top of the defaults and runs in the workdir, created writable', async () => {
    const sb = await fx.launch('microsandbox/node', { envs: ['FOO=bar', 'HOME=/app', 'EMPTY='], workdir: '/app/sub' })
    const result = await sb.command({ command: 'sh', args: ['-c', 'echo "$FOO|$HOME|$EMPTY|$(pwd)"; touch here && echo ok'], timeoutSec: 10 })
    expect(texts(result.output)).toEqual(['bar|/app||/app/sub', 'ok'])
    expect(texts(await py(sb, 'import os\nprint(os.getcwd(), os.environ["FOO"])'))).toEqual(['/app/sub bar'])
  })
})
