/**
 * The host probe: finds bubblewrap and the interpreters, checks that a sandbox really starts (user
 * namespaces), detects how limits can be enforced and describes it all in a `HostReport`.
 * @module
 */
import { mkdir } from 'node:fs/promises'
import { resolve } from 'node:path'
import { INNER_UID, type SystemLayout } from './bwrap.ts'
import { detectCgroups, type CgroupDriver } from './cgroups.ts'
import { execFile, findExecutable } from './exec.ts'
import { ensureReachable, type AccessContext } from './fs-access.ts'
import { findInterpreter, type Interpreter } from './interpreters.ts'
import { compileAgent } from './agent/command.ts'
import { probeRun } from './probe-run.ts'
import { systemLayout } from './layout.ts'
import { RuntimeUnavailableError, type HostReport, type RuntimeOptions } from './types.ts'

/** Everything the runtime learned about the host, shared by all sandboxes. */
export interface Host {
  report: HostReport
  bwrap: string
  /** uid/gid to spawn sandboxes as when the server is root, else null (they run as the server). */
  user: { uid: number; gid: number } | null
  /** setpriv, needed with cgroup v2 as root (the launcher joins the group as root, then drops). */
  setpriv: string | null
  /** The agent, compiled and marshalled by the sandbox's python, base64 (see agentCommand). */
  agentCode: string
  python: Interpreter
  node: Interpreter
  layout: SystemLayout
  cgroups: CgroupDriver | null
  access: AccessContext
  /** `<stateDir>/runtime`: per-sandbox private dirs and the synthesized /etc files. */
  runtimeDir: string
  /** PATH inside sandboxes. */
  path: string
  maxOutputBytes: number
  pidsMax: number
  log: (line: string) => void
}

/** Test hooks of the probe. */
export interface ProbeOverrides {
  /** Ignore cgroups and use the rlimit/affinity fallbacks. */
  noCgroups?: boolean
}

const PREFIX = '[microsandbox-edge] [runtime]'

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback
  if (!Number.isInteger(v) || v <= 0) throw new TypeError(`${PREFIX} option "${name}" must be a positive integer`)
  return v
}

/** What the report says when no cgroup hierarchy is usable. */
function fallbackNotes(pidsMax: number, uid: number): string[] {
  return [
    'limits: no writable cgroup hierarchy; memory: RLIMIT_AS per process (address space, at least 1 GiB so node starts)',
    'limits: cpu: sched affinity to the configured number of CPUs (no quota)',
    `limits: pids: RLIMIT_NPROC ${pidsMax * 16}, counted per host uid, so every sandbox of uid ${uid} shares it`,
  ]
}

/**
 * Probes the host once; throws RuntimeUnavailableError saying what to install or enable.
 * @example const host = await probeHost({ stateDir: '/var/lib/msb' })
 */
export async function probeHost(options: RuntimeOptions, overrides: ProbeOverrides = {}): Promise<Host> {
  if (typeof options.stateDir !== 'string' || options.stateDir === '') throw new TypeError(`${PREFIX} option "stateDir" is required`)
  const log = options.log ?? (() => undefined)
  const asRoot = process.getuid?.() === 0
  const uid = asRoot ? positiveInt('sandboxUid', options.sandboxUid, 64000) : (process.getuid?.() ?? 0)
  const gid = asRoot ? positiveInt('sandboxGid', options.sandboxGid, 64000) : (process.getgid?.() ?? 0)
  const maxOutputBytes = positiveInt('maxOutputBytes', options.maxOutputBytes, 10 * 1024 * 1024)
  const pidsMax = positiveInt('pidsMax', options.pidsMax, 256)

  const bwrap = await findExecutable('bwrap', ['/usr/bin/bwrap'])
  if (!bwrap) throw new RuntimeUnavailableError('bubblewrap is not installed: run `apt-get install -y bubblewrap` (Debian/Ubuntu) or `dnf install bubblewrap`')
  const setpriv = asRoot ? await findExecutable('setpriv', ['/usr/bin/setpriv']) : null
  const user = asRoot ? { uid, gid } : null
  const python = await findInterpreter('python3')
  if (!python) throw new RuntimeUnavailableError('no python3 usable inside a sandbox (a real executable outside /root and /home): run `apt-get install -y python3`')
  const node = await findInterpreter('node')
  if (!node) throw new RuntimeUnavailableError('no node usable inside a sandbox (a real executable outside /root and /home): run `apt-get install -y nodejs`')
  const version = (await execFile(bwrap, ['--version'])).stdout
  const [major = 0, minor = 0] = (/(\d+)\.(\d+)/.exec(version) ?? []).slice(1).map(Number)

  const runtimeDir = resolve(options.stateDir, 'runtime')
  await mkdir(runtimeDir, { recursive: true, mode: 0o755 })
  const access: AccessContext = { uid, gid, asRoot, setfacl: await findExecutable('setfacl', ['/usr/bin/setfacl']), log, done: new Set() }
  const prefixes = [python.prefix, node.prefix].filter((p): p is string => p !== null)
  const layout = await systemLayout(`${runtimeDir}/etc`, prefixes, major > 0 || minor >= 8)
  await ensureReachable(`${runtimeDir}/etc/passwd`, access)
  const path = [...new Set([...prefixes.map((p) => `${p}/bin`), '/usr/local/bin', '/usr/bin', '/bin'])].join(':')

  const [pythonVersion, nodeVersion, agentCode] = await Promise.all([
    probeRun(bwrap, user, layout, access, runtimeDir, [python.path, '-I', '-S', '-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])']),
    probeRun(bwrap, user, layout, access, runtimeDir, [node.path, '-e', 'console.log(process.version)']),
    compileAgent(python.path),
  ])
  let cgroups = overrides.noCgroups ? null : await detectCgroups(log)
  if (cgroups && asRoot && !cgroups.unprivilegedJoin && !setpriv) {
    log('cgroup v2 needs setpriv (util-linux) to start sandboxes as root; using rlimits instead')
    await cgroups.close()
    cgroups = null
  }
  const notes = [
    `bubblewrap ${major}.${minor} at ${bwrap}; python ${pythonVersion} at ${python.path}; node ${nodeVersion} at ${node.path}`,
    asRoot
      ? `sandbox processes run as host uid ${uid} / gid ${gid} (uid ${INNER_UID} inside, unprivileged user namespace)`
      : `the server is not root: sandbox processes run as its own uid ${uid} (uid ${INNER_UID} inside)`,
    'isolation: own user, mount, pid, network, ipc, uts and cgroup namespaces; no network; read-only /usr and minimal /etc',
    ...(prefixes.length ? [`interpreter prefixes mounted read-only: ${prefixes.join(', ')}`] : []),
    ...(cgroups?.notes ?? fallbackNotes(pidsMax, uid)),
    access.setfacl
      ? 'volumes: missing permissions for the sandbox uid are granted with POSIX ACLs (setfacl)'
      : 'volumes: setfacl not found; volumes must already be accessible to the sandbox uid (apt-get install -y acl)',
  ]
  const limits: HostReport['limits'] = cgroups
    ? { memory: cgroups.kind, cpu: cgroups.kind, pids: cgroups.kind }
    : { memory: 'rlimit', cpu: 'affinity', pids: 'rlimit' }
  const report: HostReport = { bwrapPath: bwrap, pythonPath: python.path, nodePath: node.path, sandboxUid: uid, sandboxGid: gid, limits, notes }
  return { report, bwrap, user, setpriv, agentCode, python, node, layout, cgroups, access, runtimeDir, path, maxOutputBytes, pidsMax, log }
}
