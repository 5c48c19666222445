/**
 * What the in-sandbox portal checks upstream (code, language, command, args, timeout). Every
 * failure here is opaque to the client (500), with the portal's message in `detail`.
 * @module
 */
import type { JsonObject } from './json.ts'
import { DeError, opt, seq, str, struct, uint, type De } from './serde.ts'
import { internalError } from './errors.ts'
import type { ReplLanguage } from './runtime/types.ts'

/** Decoded sandbox.repl.run params. */
export interface ReplRequest { code: string; language: string; normalized: ReplLanguage; timeout: number | undefined }
/** Decoded sandbox.command.run params. */
export interface CommandRequest { command: string; args: string[]; timeout: number | undefined }

const replDe: De<{ code: string; language: string; timeout?: number }> = struct('SandboxReplRunParams', [
  { key: 'code', de: str, missing: 'required' },
  { key: 'language', de: str, missing: 'required' },
  { key: 'timeout', de: opt(uint('u64')), missing: 'none' },
])

const commandDe: De<{ command: string; args: string[]; timeout?: number }> = struct('SandboxCommandRunParams', [
  { key: 'command', de: str, missing: 'required' },
  { key: 'args', de: seq(str, false), missing: 'default', def: () => [] },
  { key: 'timeout', de: opt(uint('u64')), missing: 'none' },
])

function portalDecode<T>(de: De<T>, params: JsonObject): T {
  try {
    return de(params)
  } catch (e) {
    if (e instanceof DeError) throw internalError(`JSON-RPC error: Invalid parameters: ${e.message}`)
    throw e
  }
}

/** Maps a language name (case-insensitive) to the REPL that runs it. */
export function normalizeLanguage(language: string): ReplLanguage | undefined {
  const l = language.toLowerCase()
  if (l === 'python') return 'python'
  if (l === 'node' || l === 'nodejs' || l === 'javascript') return 'nodejs'
  return undefined
}

/** Decodes repl params as the portal would; unsupported languages fail like the portal. */
export function decodeRepl(params: JsonObject): ReplRequest {
  const p = portalDecode(replDe, params)
  const normalized = normalizeLanguage(p.language)
  if (!normalized) throw internalError(`JSON-RPC error: Unsupported language: ${p.language}`)
  return { code: p.code, language: p.language, normalized, timeout: p.timeout }
}

/** Decodes command params as the portal would. */
export function decodeCommand(params: JsonObject): CommandRequest {
  const p = portalDecode(commandDe, params)
  return { command: p.command, args: p.args, timeout: p.timeout }
}

/** The timeout actually applied: the caller's, never above the server's cap. */
export function effectiveTimeout(requested: number | undefined, maxTimeout: number): number {
  return requested === undefined ? maxTimeout : Math.min(requested, maxTimeout)
}
