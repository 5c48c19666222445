/**
 * The core stays runtime-agnostic: nothing in src/ (nor in the built bundle) imports a runtime.
 */
import { readdir, readFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

describe('the core', () => {
  it('imports nothing from node:*, bun, deno or cloudflare:*, nor from adapters, plugins or the local server', async () => {
    const files = (await readdir(join(ROOT, 'src'), { recursive: true })).filter((f) => f.endsWith('.ts'))
    expect(files.length).toBeGreaterThan(20)
    const offending: string[] = []
    for (const file of files) {
      const text = await readFile(join(ROOT, 'src', file), 'utf8')
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
        const spec = m[1]!
        if (/^(node:|bun$|bun:|deno$|npm:|jsr:|cloudflare:)/.test(spec) || /(^|\/)(adapters|plugins|local-server)\//.test(spec)) offending.push(`${file}: ${spec}`)
      }
    }
    expect(offending).toEqual([])
    if (!existsSync(join(ROOT, 'dist/index.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it first)')
    const bundle = await readFile(join(ROOT, 'dist/index.js'), 'utf8')
    expect(bundle).not.toMatch(/from\s*["']node:/)
  })
})
