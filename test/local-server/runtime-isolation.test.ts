import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LaunchedSandbox } from '../../local-server/runtime/types.ts'
import { hostTree, hostUid, py, removeDir, texts, useRuntime } from './runtime-fixture.ts'

const fx = useRuntime()
const exists = (sb: LaunchedSandbox, path: string) => py(sb, `import os\nprint(os.path.exists(${JSON.stringify(path)}))`).then((o) => texts(o)[0])

describe('isolation', () => {
  let a: LaunchedSandbox & { spec: { workspaceDir: string } }
  let b: LaunchedSandbox & { spec: { workspaceDir: string } }
  let server: Server
  let port = 0
  const volumes = mkdtempSync(join(tmpdir(), 'msb-volumes-'))
  beforeAll(async () => {
    server = createServer((socket) => socket.end('hello\n'))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as { port: number }).port
    mkdirSync(join(volumes, 'ro'))
    mkdirSync(join(volumes, 'rw'))
    writeFileSync(join(volumes, 'ro', 'data.txt'), 'read me\n')
    a = await fx.launch('microsandbox/python', {
      volumes: [
        { hostPath: join(volumes, 'ro'), guestPath: '/data/ro', readOnly: true },
        { hostPath: join(volumes, 'rw'), guestPath: '/data/rw', readOnly: false },
        { hostPath: join(volumes, 'new'), guestPath: '/workspace/new', readOnly: false },
      ],
    })
    b = await fx.launch('microsandbox/python')
  })
  afterAll(async () => {
    server.close()
    removeDir(volumes)
  })

  it('runs as uid 1000 inside and never as root on the host', async () => {
    expect(texts(await py(a, 'import os\nprint(os.getuid(), os.getgid(), os.geteuid())'))).toEqual(['1000 1000 1000'])
    expect(texts(await py(a, 'import pwd, os\nprint(pwd.getpwuid(os.getuid()).pw_name)'))).toEqual(['user'])
    const pids = hostTree(a.pid)
    expect(pids.length).toBeGreaterThanOrEqual(3)
    for (const pid of pids) expect(hostUid(pid)).not.toBe(0)
    expect(texts(await py(a, 'print(open("/proc/self/status").read().split("CapEff:")[1].split()[0])'))).toEqual(['0000000000000000'])
  })

  it('has no network: neither the host loopback nor the outside are reachable', async () => {
    const code = (host: string, p: number) =>
      `import socket\ns = socket.socket()\ns.settimeout(3)\ntry:\n    s.connect((${JSON.stringify(host)}, ${p}))\n    print("connected")\nexcept OSError as e:\n    print("failed", e.errno)`
    const local = texts(await py(a, code('127.0.0.1', port)))
    expect(local[0]).toMatch(/^failed/)
    const outside = texts(await py(a, code('1.1.1.1', 53)))
    expect(outside[0]).toMatch(/^failed/)
    const curl = await a.command({ command: 'python3', args: ['-c', 'import urllib.request; urllib.request.urlopen("http://example.com", timeout=3)'], timeoutSec: 20 })
    expect(curl.exitCode).not.toBe(0)
  })

  it('hides the host: repo, /root, /home, the state dir and other sandboxes', async () => {
    expect(texts(await py(a, 'import os\nprint(sorted(os.listdir("/")))'))).toEqual([
      "['bin', 'data', 'dev', 'etc', 'lib', 'lib64', 'proc', 'sbin', 'tmp', 'usr', 'workspace']",
    ])
    for (const path of [process.cwd(), '/root', '/home', fx.stateDir, b.spec.workspaceDir, '/sys', '/var', '/opt']) {
      expect(await exists(a, path), path).toBe('False')
    }
    await b.command({ command: 'touch', args: ['/workspace/b-only', '/tmp/b-tmp'], timeoutSec: 10 })
    expect(await exists(a, '/workspace/b-only')).toBe('False')
    expect(await exists(a, '/tmp/b-tmp')).toBe('False')
  })

  it('keeps the system read-only and /workspace, /tmp writable', async () => {
    const write = (path: string) => `try:\n    _ = open(${JSON.stringify(path)}, "w").write("x")\n    print("ok")\nexcept OSError as e:\n    print(type(e).__name__)`
    expect(texts(await py(a, write('/usr/evil')))).toEqual(['OSError'])
    expect(texts(await py(a, write('/etc/passwd')))).toEqual(['OSError'])
    expect(texts(await py(a, write('/evil')))).toEqual(['OSError'])
    expect(texts(await py(a, write('/workspace/ok')))).toEqual(['ok'])
    expect(texts(await py(a, write('/tmp/ok')))).toEqual(['ok'])
    expect(statSync(join(a.spec.workspaceDir, 'ok')).size).toBe(1)
  })

  it('honours read-only volumes and shares rw ones both ways', async () => {
    expect(texts(await py(a, 'print(open("/data/ro/data.txt").read().strip())'))).toEqual(['read me'])
    expect(texts(await py(a, 'try:\n    open("/data/ro/x", "w")\nexcept OSError as e:\n    print(e.strerror)'))).toEqual(['Read-only file system'])
    await py(a, 'open("/data/rw/from-sandbox.txt", "w").write("hi host")')
    expect(readFileSync(join(volumes, 'rw', 'from-sandbox.txt'), 'utf8')).toBe('hi host')
    writeFileSync(join(volumes, 'rw', 'from-host.txt'), 'hi sandbox')
    expect(texts(await py(a, 'print(open("/data/rw/from-host.txt").read())'))).toEqual(['hi sandbox'])
    await py(a, 'open("/workspace/new/created.txt", "w").write("x")')
    expect(readFileSync(join(volumes, 'new', 'created.txt'), 'utf8')).toBe('x')
    expect(fx.logs.some((l) => l.includes('ACL') && l.includes(join(volumes, 'rw')))).toBe(true)
  })

  it('cannot see or signal the processes of another sandbox', async () => {
    const sleeper = b.command({ command: 'sleep', args: ['7.25'], timeoutSec: 30 })
    const countInB = async () => {
      const found = await b.command({ command: 'sh', args: ['-c', 'for p in /proc/[0-9]*; do tr "\\0" " " < $p/cmdline; echo; done | grep -c "^sleep 7.25"'], timeoutSec: 10 })
      return texts(found.output)[0]
    }
    for (let i = 0; i < 100 && (await countInB()) !== '1'; i++) await new Promise((r) => setTimeout(r, 50))
    expect(await countInB()).toBe('1')
    const seen = await py(a, 'import os\nprint(sum(1 for p in os.listdir("/proc") if p.isdigit() and b"7.25" in open(f"/proc/{p}/cmdline", "rb").read()))')
    expect(texts(seen)).toEqual(['0'])
    expect(texts(await py(a, 'import os\nprint(os.getpid() < 10)'))).toEqual(['True'])
    await b.command({ command: 'pkill', args: ['-f', 'sleep 7.25'], timeoutSec: 10 }).catch(() => undefined)
    await sleeper
  })

  it('cannot create further user namespaces', async () => {
    const result = await a.command({ command: 'unshare', args: ['--user', 'true'], timeoutSec: 10 })
    expect(result.exitCode).not.toBe(0)
  })

  it('has a minimal /etc with the sandbox user and hostname', async () => {
    expect(texts((await a.command({ command: 'hostname', args: [], timeoutSec: 10 })).output)).toEqual(['sandbox'])
    const passwd = texts((await a.command({ command: 'cat', args: ['/etc/passwd'], timeoutSec: 10 })).output)
    expect(passwd).toContain('user:x:1000:1000:sandbox user:/workspace:/bin/sh')
    expect(passwd.some((l) => l.startsWith('root:') && l.includes('nologin'))).toBe(true)
  })
})
