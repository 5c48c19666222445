/**
 * The system part of every sandbox's filesystem: /usr, the top-level links into it, interpreter
 * prefixes that live elsewhere, and a minimal /etc (a few host files plus synthesized passwd,
 * group, hosts, hostname and nsswitch.conf for the sandbox user).
 * @module
 */
import { lstat, mkdir, readdir, readlink, writeFile } from 'node:fs/promises'
import type { SystemLayout } from './bwrap.ts'
import { INNER_UID } from './bwrap.ts'

const TOP_LEVEL = ['bin', 'lib', 'lib32', 'lib64', 'libx32', 'sbin']
const HOST_ETC = [
  'ld.so.cache', 'ld.so.conf', 'ld.so.conf.d', 'localtime', 'timezone', 'ssl', 'ca-certificates.conf', 'alternatives',
  'protocols', 'services', 'mime.types', 'debian_version', 'os-release', 'gai.conf',
]

const SYNTHESIZED: Record<string, string> = {
  passwd: `root:x:0:0:root:/root:/usr/sbin/nologin\nuser:x:${INNER_UID}:${INNER_UID}:sandbox user:/workspace:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n`,
  group: `root:x:0:\nuser:x:${INNER_UID}:\nnogroup:x:65534:\n`,
  hosts: '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\tsandbox\n',
  hostname: 'sandbox\n',
  'nsswitch.conf': 'passwd: files\ngroup: files\nshadow: files\nhosts: files\nnetworks: files\nprotocols: files\nservices: files\n',
}

/**
 * Computes the layout and writes the synthesized /etc files to `etcDir`.
 * @example const layout = await systemLayout(`${runtimeDir}/etc`, ['/opt/node'], true)
 */
export async function systemLayout(etcDir: string, prefixes: string[], disableUserns: boolean): Promise<SystemLayout> {
  const symlinks: [string, string][] = []
  const roBinds: [string, string][] = [['/usr', '/usr']]
  for (const name of TOP_LEVEL) {
    const st = await lstat(`/${name}`).catch(() => null)
    if (st?.isSymbolicLink()) symlinks.push([await readlink(`/${name}`), `/${name}`])
    else if (st?.isDirectory()) roBinds.push([`/${name}`, `/${name}`])
  }
  for (const prefix of prefixes) roBinds.push([prefix, prefix])
  const etcEntries = (await readdir('/etc').catch(() => [] as string[])).filter((n) => /^python3(\.\d+)?$/.test(n))
  for (const name of [...HOST_ETC, ...etcEntries]) {
    if (await lstat(`/etc/${name}`).then(() => true, () => false)) roBinds.push([`/etc/${name}`, `/etc/${name}`])
  }
  await mkdir(etcDir, { recursive: true, mode: 0o755 })
  for (const [name, text] of Object.entries(SYNTHESIZED)) {
    await writeFile(`${etcDir}/${name}`, text, { mode: 0o644 })
    roBinds.push([`${etcDir}/${name}`, `/etc/${name}`])
  }
  return { symlinks, roBinds, disableUserns }
}
