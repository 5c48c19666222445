/**
 * The server key file (`<state-dir>/server.key`, like `~/.microsandbox/server.key`) and keygen's
 * duration syntax (`s m h d w mo y`, a bare number is hours).
 * @module
 */
import { randomInt } from 'node:crypto'
import { readFile, writeFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800, mo: 2592000, y: 31536000 }

/** Path of the key file in a state dir. */
export function serverKeyPath(stateDir: string): string {
  return join(stateDir, 'server.key')
}

/** 32 random ASCII alphanumerics, as `msb server start` generates. */
export function generateServerKey(): string {
  let key = ''
  for (let i = 0; i < 32; i++) key += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)]
  return key
}

/** Reads the key file (exactly as stored), or undefined when there is none. */
export async function readServerKey(stateDir: string): Promise<string | undefined> {
  try {
    return await readFile(serverKeyPath(stateDir), 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw e
  }
}

/** Reads the key file or creates one (mode 0600). */
export async function loadOrCreateServerKey(stateDir: string): Promise<{ key: string; created: boolean }> {
  const existing = await readServerKey(stateDir)
  if (existing !== undefined) return { key: existing, created: false }
  const key = generateServerKey()
  await mkdir(stateDir, { recursive: true })
  await writeFile(serverKeyPath(stateDir), key, { mode: 0o600 })
  return { key, created: true }
}

/** Parses `24h`, `30m`, `1mo`, `2y`, `12` (hours) into seconds; undefined when invalid. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+)(s|m|h|d|w|mo|y)?$/.exec(text.trim())
  if (!m) return undefined
  return Number(m[1]) * (UNITS[m[2] ?? 'h'] as number)
}
