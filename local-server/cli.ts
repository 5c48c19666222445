/**
 * `npm run local-server -- [--host 127.0.0.1] [--port 5555] [--dev | --key <secret>]
 * [--state-dir <dir>] [--require-namespace] [--max-timeout <s>]` and
 * `npm run local-server -- keygen [--key <secret> | --state-dir <dir>] [--expire 24h] [--namespace <ns>]`.
 * @module
 */
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { signApiKey } from './auth.ts'
import { startLocalServer, type LocalServer } from './index.ts'
import { loadOrCreateServerKey, parseDuration, readServerKey, serverKeyPath } from './keys.ts'
import { RuntimeUnavailableError } from './runtime/types.ts'

const USAGE = `usage: npm run local-server -- [--host 127.0.0.1] [--port 5555] [--dev | --key <secret>]
                               [--state-dir <dir>] [--require-namespace] [--max-timeout <seconds>]
                               [--allow-volume <dir>]... [--exit-on-stdin-close]
       npm run local-server -- keygen [--key <secret> | --state-dir <dir>] [--expire 24h] [--namespace <ns>]`

class UsageError extends Error {}

type Flags = Record<string, string | true>

function parseFlags(argv: string[], valued: string[], bare: string[]): Flags {
  const flags: Flags = {}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    const [name, inline] = arg.startsWith('--') ? arg.slice(2).split(/=(.*)/s, 2) : [undefined, undefined]
    if (name === undefined || (!valued.includes(name) && !bare.includes(name))) throw new UsageError(`unknown argument: ${arg}`)
    if (bare.includes(name)) {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`)
      flags[name] = true
    } else {
      const value = inline ?? argv[++i]
      if (value === undefined) throw new UsageError(`--${name} needs a value`)
      flags[name] = value
    }
  }
  return flags
}

function integer(flags: Flags, name: string, min: number, max: number): number | undefined {
  const v = flags[name]
  if (v === undefined) return undefined
  const n = Number(v)
  if (typeof v !== 'string' || !/^\d+$/.test(v) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}`)
  return n
}

function stateDirOf(flags: Flags): string {
  const dir = flags['state-dir']
  return typeof dir === 'string' ? resolve(dir) : join(homedir(), '.microsandbox-edge', 'local-server')
}

async function keygen(argv: string[]): Promise<void> {
  const flags = parseFlags(argv, ['key', 'state-dir', 'expire', 'namespace'], [])
  const expire = typeof flags.expire === 'string' ? parseDuration(flags.expire) : 24 * 3600
  if (expire === undefined) throw new UsageError('--expire must look like 30m, 24h, 7d, 1mo, 1y or a number of hours')
  const key = typeof flags.key === 'string' ? flags.key : await readServerKey(stateDirOf(flags))
  if (key === undefined) throw new Error(`Server key file not found (${serverKeyPath(stateDirOf(flags))}). Make sure the server is running in secure mode.`)
  const namespace = typeof flags.namespace === 'string' ? flags.namespace : undefined
  process.stdout.write(`${signApiKey(key, { expiresInSeconds: expire, ...(namespace === undefined ? {} : { namespace }) })}\n`)
}

/** Takes every `--allow-volume <dir>` (or `--allow-volume=<dir>`) out of argv. */
function takeRepeated(argv: string[], name: string): { values: string[]; rest: string[] } {
  const values: string[] = []
  const rest: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === `--${name}`) {
      const value = argv[++i]
      if (value === undefined) throw new UsageError(`--${name} needs a value`)
      values.push(value)
    } else if (arg.startsWith(`--${name}=`)) values.push(arg.slice(name.length + 3))
    else rest.push(arg)
  }
  return { values, rest }
}

async function serve(args: string[]): Promise<void> {
  const { values: allowVolumes, rest: argv } = takeRepeated(args, 'allow-volume')
  const flags = parseFlags(argv, ['host', 'port', 'key', 'state-dir', 'max-timeout'], ['dev', 'require-namespace', 'exit-on-stdin-close'])
  if (flags.dev && flags.key !== undefined) throw new UsageError('--dev and --key exclude each other')
  const stateDir = stateDirOf(flags)
  const log = (line: string) => process.stderr.write(`[local-server] ${line}\n`)
  let key = typeof flags.key === 'string' ? flags.key : undefined
  let keyNote = key === undefined ? '' : 'auth: msb_ API keys signed with the --key secret'
  if (!flags.dev && key === undefined) {
    const loaded = await loadOrCreateServerKey(stateDir)
    key = loaded.key
    keyNote = `auth: msb_ API keys signed with ${serverKeyPath(stateDir)}${loaded.created ? ' (new)' : ''}; mint one with: npm run local-server -- keygen --state-dir ${stateDir}`
  }
  const server: LocalServer = await startLocalServer({
    host: typeof flags.host === 'string' ? flags.host : '127.0.0.1',
    port: integer(flags, 'port', 0, 65535) ?? 5555,
    stateDir,
    requireNamespace: flags['require-namespace'] === true,
    maxTimeout: integer(flags, 'max-timeout', 1, 31_536_000) ?? 1800,
    allowVolumes,
    log,
    ...(key === undefined ? {} : { key }),
  })
  const r = server.report
  log(flags.dev ? 'auth: none (--dev)' : keyNote)
  log(`dialect: ${flags['require-namespace'] ? 'v0.2.6 (namespace required)' : 'upstream HEAD (namespace optional)'}; state dir: ${stateDir}`)
  log(`limits: memory ${r.limits.memory}, cpu ${r.limits.cpu}, pids ${r.limits.pids}; sandbox uid ${r.sandboxUid}`)
  log(`volumes: below each namespace's project dir${allowVolumes.length > 0 ? ` and ${allowVolumes.join(', ')}` : ' only (add directories with --allow-volume)'}`)
  for (const note of r.notes) log(note)
  process.stdout.write(`microsandbox local server listening on ${server.url}\n`)
  let stoppingSince = 0
  const shutdown = (signal: string) => {
    // A terminal's Ctrl-C may arrive twice (directly and relayed by a wrapper): only a later one forces exit.
    if (stoppingSince !== 0) {
      if (Date.now() - stoppingSince < 2000) return
      log(`${signal} again: exiting without waiting`)
      process.exit(1)
    }
    stoppingSince = Date.now()
    log(`${signal}: stopping every sandbox`)
    server.close().then(() => process.exit(0), (e: unknown) => {
      log(`shutdown failed: ${e instanceof Error ? e.message : String(e)}`)
      process.exit(1)
    })
  }
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  if (flags['exit-on-stdin-close']) {
    // For a parent that spawns the server (tests, tools): when the parent dies, its end of the
    // pipe closes, and the server stops its sandboxes and exits instead of living on as an orphan.
    process.stdin.on('end', () => shutdown('stdin closed'))
    process.stdin.on('error', () => shutdown('stdin closed'))
    process.stdin.resume()
  }
}

async function main(argv: string[]): Promise<void> {
  try {
    if (argv.includes('--help') || argv.includes('-h')) process.stdout.write(`${USAGE}\n`)
    else if (argv[0] === 'keygen') await keygen(argv.slice(1))
    else await serve(argv)
  } catch (e) {
    if (e instanceof UsageError) process.stderr.write(`error: ${e.message}\n${USAGE}\n`)
    else if (e instanceof RuntimeUnavailableError || (e instanceof Error && e.name === 'RuntimeUnavailableError')) process.stderr.write(`error: sandboxes cannot run on this host: ${e.message}\n`)
    else process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`)
    process.exit(1)
  }
}

void main(process.argv.slice(2))
