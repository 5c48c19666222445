import { describe, expect, it } from 'vitest'
import { deploymentPrefix, deriveSandboxName, isOwnSandboxName, isValidSandboxName, validatePrefix } from '../../src/sessions/names.ts'

const NAME_RULE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/
const ODD_IDS = [
  '', ' ', '   \t\n ', 'héllo wörld', '会话-🙂', '\u{1F600}'.repeat(50), 'x'.repeat(100_000),
  'a/b/../c', '../../etc/passwd', 'C:\\temp\\x', 'id:with:colons', 'query?x=1#frag', '\u0000nul', '\uD800', '\uD801',
]

describe('deriveSandboxName', () => {
  it('gives a valid name carrying the prefix for odd session ids', async () => {
    for (const id of ODD_IDS) {
      const name = await deriveSandboxName('default', 'msb', id)
      expect(name).toMatch(NAME_RULE)
      expect(name).toMatch(/^msb-[a-z2-7]{7}-[a-z2-7]{26}$/)
      expect(isValidSandboxName(name)).toBe(true)
      expect(isOwnSandboxName(name, 'msb', 'default')).toBe(true)
    }
  })

  it('stays within 63 characters with the longest prefix', async () => {
    const prefix = 'P'.repeat(20)
    const name = await deriveSandboxName('ns', prefix, 'x'.repeat(5000))
    expect(name.length).toBe(55)
    expect(name).toMatch(NAME_RULE)
  })

  it('gives distinct names for distinct inputs, lone surrogates and field shifts included', async () => {
    const inputs: Array<[string, string, string]> = [
      ...ODD_IDS.map((id): [string, string, string] => ['default', 'msb', id]),
      ['default', 'msb', 'ab'], ['defaulta', 'msb', 'b'], ['default', 'msba', 'b'],
      ['other', 'msb', 'ab'], ['default', 'msb2', 'ab'], ['', 'msb', ''], ['a', 'msb', ''], ['', 'msb', 'a'],
      ...Array.from({ length: 500 }, (_, i): [string, string, string] => ['default', 'msb', `session-${i}`]),
    ]
    const names = await Promise.all(inputs.map(([ns, prefix, id]) => deriveSandboxName(ns, prefix, id)))
    expect(new Set(names).size).toBe(inputs.length)
  })

  it('is stable across calls, beyond the cache size, and matches a known vector', async () => {
    const first = await deriveSandboxName('default', 'msb', 'session-1')
    for (let i = 0; i < 1500; i++) await deriveSandboxName('default', 'msb', `filler-${i}`)
    expect(await deriveSandboxName('default', 'msb', 'session-1')).toBe(first)
    expect(await deriveSandboxName('default', 'msb', 'session-1')).toBe(first)
    expect(first).toBe(await knownVector('default', 'msb', 'session-1'))
  })

  it('rejects an invalid prefix with CONFIGURATION_ERROR', async () => {
    await expect(deriveSandboxName('default', 'bad prefix', 'id')).rejects.toMatchObject({ code: 'CONFIGURATION_ERROR' })
  })
})

describe('validatePrefix', () => {
  it('accepts 1-20 characters of [A-Za-z0-9_-] starting alphanumeric', () => {
    for (const ok of ['m', 'msb', 'MSB_prod-1', '9lives', 'a'.repeat(20)]) expect(() => validatePrefix(ok)).not.toThrow()
  })

  it('rejects everything else with CONFIGURATION_ERROR naming the prefix', () => {
    for (const bad of ['', '-msb', '_msb', 'a'.repeat(21), 'ms b', 'msb/x', 'msb:x', 'msé', 'msb.']) {
      expect(() => validatePrefix(bad)).toThrow(expect.objectContaining({ code: 'CONFIGURATION_ERROR', status: 500 }))
    }
    expect(() => validatePrefix('-x')).toThrow(/"-x"/)
  })
})

describe('isOwnSandboxName', () => {
  it('accepts only names of our deployment (prefix and namespace) and shape', async () => {
    const own = await deriveSandboxName('default', 'msb', 's')
    const other = await deriveSandboxName('default', 'msb-b', 's')
    const otherNamespace = await deriveSandboxName('team-b', 'msb', 's')
    const head = deploymentPrefix('msb', 'default')
    expect(isOwnSandboxName(own, 'msb', 'default')).toBe(true)
    expect(isOwnSandboxName(own, 'ms', 'default')).toBe(false)
    expect(isOwnSandboxName(own, 'msb', 'team-b')).toBe(false)
    expect(isOwnSandboxName(otherNamespace, 'msb', 'default')).toBe(false)
    expect(isOwnSandboxName(otherNamespace, 'msb', 'team-b')).toBe(true)
    expect(isOwnSandboxName(other, 'msb', 'default')).toBe(false)
    expect(isOwnSandboxName(other, 'msb-b', 'default')).toBe(true)
    expect(isOwnSandboxName('msb-handmade', 'msb', 'default')).toBe(false)
    expect(isOwnSandboxName(`${head}${'A'.repeat(26)}`, 'msb', 'default')).toBe(false)
    expect(isOwnSandboxName(`${head}${'a'.repeat(27)}`, 'msb', 'default')).toBe(false)
    expect(isOwnSandboxName(`${head}${'a'.repeat(26)}`, 'msb', 'default')).toBe(true)
  })

  it('gives distinct deployment tags to distinct namespaces and prefixes', () => {
    const heads = new Set<string>()
    for (let i = 0; i < 2000; i++) heads.add(deploymentPrefix('msb', `ns-${i}`))
    heads.add(deploymentPrefix('msb', ''))
    heads.add(deploymentPrefix('msb2', 'default'))
    heads.add(deploymentPrefix('msb', 'default2'))
    expect(heads.size).toBe(2003)
  })
})

/** An independent implementation of the documented derivation, to pin the format. */
async function knownVector(namespace: string, prefix: string, id: string): Promise<string> {
  const parts: number[] = []
  for (const field of [namespace, prefix, id]) {
    const n = field.length
    parts.push((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255)
    for (let i = 0; i < n; i++) parts.push(field.charCodeAt(i) >> 8, field.charCodeAt(i) & 255)
  }
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(parts)))
  const bits = Array.from(digest, (b) => b.toString(2).padStart(8, '0')).join('')
  let out = ''
  for (let i = 0; i < 130; i += 5) out += 'abcdefghijklmnopqrstuvwxyz234567'[parseInt(bits.slice(i, i + 5), 2)]
  return `${deploymentPrefix(prefix, namespace)}${out}`
}
