/**
 * Shared volume mappings: `host:container[:ro|:rw]`, from a JSON array, a comma list or a list.
 * Windows drive letters (`C:\data:/data`) stay with the host path.
 * @module
 */
import { createError, type SandboxError } from '../errors.ts'
import type { VolumeMapping } from '../types.ts'

const EXAMPLE = "Example: ['./data:/workspace', './shared:/sandbox/shared']"
const EXPECTED = "'host_path:container_path[:ro|:rw]' (e.g., './data:/workspace')"

function volumeError(variable: string, message: string, value: unknown): SandboxError {
  return createError('CONFIGURATION_ERROR', message, {
    details: { field: 'sharedVolumeMappings', variable, value, expected: `a JSON array or comma list of ${EXPECTED}` },
  })
}

/** Python's name of a JSON value's type, as the seed's messages show it. */
function pyType(value: unknown): string {
  if (value === null) return 'NoneType'
  if (Array.isArray(value)) return 'list'
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float'
  if (typeof value === 'boolean') return 'bool'
  if (typeof value === 'object') return 'dict'
  return typeof value
}

function jsonHints(value: string): string {
  const hints: string[] = []
  if (!value.includes('"')) {
    hints.push('- Strings in JSON arrays must be quoted with double quotes',
      `  Example: ['/path/to/host:/path/in/container'] should be ["/path/to/host:/path/in/container"]`)
  }
  if ((value.split('"').length - 1) % 2 !== 0) hints.push('- Check that all quotes are properly paired')
  if (hints.length === 0) {
    hints.push('- Ensure the value is valid JSON array format: ["item1", "item2"]',
      '- Or use comma-separated format: item1,item2', '- Or use single value format: item1')
  }
  return `Helpful suggestions:\n${hints.join('\n')}`
}

/**
 * Splits a raw value into mapping strings, with the seed's messages for malformed JSON.
 * Items are trimmed; blank ones are kept (as '') so that positions match the input.
 */
function splitItems(value: string | readonly string[], variable: string): string[] {
  if (Array.isArray(value)) {
    value.forEach((item: unknown, i) => {
      if (typeof item !== 'string') {
        throw volumeError(variable, `${variable} item ${i} must be a string, got ${pyType(item)}. All volume mappings must be strings like 'host_path:container_path'`, value)
      }
    })
    return value.map((s) => s.trim())
  }
  const text = (value as string).trim()
  if (text === '') return []
  if (text.startsWith('{')) {
    throw volumeError(variable, `${variable} must be an array of strings, not a JSON object. Got: '${text}'\n${EXAMPLE}`, text)
  }
  if (!text.startsWith('[')) return text.split(',').map((s) => s.trim())
  if (!text.endsWith(']')) {
    throw volumeError(variable, `${variable} appears to be JSON array but is malformed: missing closing bracket. Got: '${text}'`, text)
  }
  if (text.split('[').length !== text.split(']').length) {
    throw volumeError(variable, `${variable} has mismatched brackets. Got: '${text}'`, text)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (e) {
    throw volumeError(variable, `Invalid JSON format in ${variable}: ${(e as Error).message}\n${jsonHints(text)}`, text)
  }
  if (!Array.isArray(parsed)) {
    throw volumeError(variable, `${variable} JSON must be an array of strings, got ${pyType(parsed)}. ${EXAMPLE}`, text)
  }
  return splitItems(parsed as string[], variable)
}

/** Parses one `host:container[:ro|:rw]`; throws a plain message (the caller adds the position). */
function parseOne(item: string): VolumeMapping | string {
  const drive = /^[A-Za-z]:[\\/]/.exec(item)?.[0] ?? ''
  const parts = item.slice(drive.length).split(':')
  if (parts.length < 2 || parts.length > 3) {
    return `Invalid volume mapping format: ${item}. Expected 'host_path:container_path'`
  }
  const hostPath = drive + (parts[0] ?? '').trim()
  const containerPath = (parts[1] ?? '').trim()
  if (hostPath === '' || containerPath === '') return `Invalid volume mapping format: ${item}. Both paths must be non-empty`
  const mode = parts[2]?.trim().toLowerCase()
  if (mode !== undefined && mode !== 'ro' && mode !== 'rw') {
    return `Invalid volume mapping mode '${parts[2]}' in ${item}. Use ':ro' (read-only) or ':rw' (read-write)`
  }
  if (!containerPath.startsWith('/')) return `Container path must be absolute (start with '/'), got '${containerPath}'`
  return { hostPath, containerPath, readOnly: mode === 'ro' }
}

/**
 * Splits and validates volume mappings; returns the trimmed, non-empty mapping strings as given.
 * @example
 * splitVolumeMappings('./a:/a, ./b:/b:ro') // ['./a:/a', './b:/b:ro']
 */
export function splitVolumeMappings(value: string | readonly string[], variable = 'MSB_SHARED_VOLUME_PATH'): string[] {
  return parseWithRaw(value, variable).map(([raw]) => raw)
}

/**
 * Parses volume mappings from a JSON array, a comma list or a list of `host:container[:ro|:rw]`.
 * @example
 * parseVolumeMappings('["C:\\\\data:/data:ro"]') // [{ hostPath: 'C:\\data', containerPath: '/data', readOnly: true }]
 */
export function parseVolumeMappings(value: string | readonly string[], variable = 'MSB_SHARED_VOLUME_PATH'): VolumeMapping[] {
  return parseWithRaw(value, variable).map(([, mapping]) => mapping)
}

function parseWithRaw(value: string | readonly string[], variable: string): Array<[string, VolumeMapping]> {
  const out: Array<[string, VolumeMapping]> = []
  splitItems(value, variable).forEach((item, i) => {
    if (item === '') return
    const parsed = parseOne(item)
    if (typeof parsed === 'string') {
      throw volumeError(variable, `Invalid volume mapping at position ${i} in ${variable}: ${parsed}\nGot: '${item}'\nExpected format: ${EXPECTED}`, item)
    }
    out.push([item, parsed])
  })
  return out
}

/**
 * The string form the server's `config.volumes` takes: `host:container`, plus `:ro` when read-only.
 * @example
 * formatVolumeMapping({ hostPath: '/h', containerPath: '/c', readOnly: true }) // '/h:/c:ro'
 */
export function formatVolumeMapping(mapping: VolumeMapping): string {
  return `${mapping.hostPath}:${mapping.containerPath}${mapping.readOnly ? ':ro' : ''}`
}
