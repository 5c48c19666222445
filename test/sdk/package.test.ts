/**
 * What ships: the built `dist/` imported by its package name from a user's project, its types
 * checked by tsc the way a user's editor would, and a core free of runtime imports.
 * `npm test` builds dist/ first.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLocalServer } from '../helpers/local-server.ts'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
let project: string
let server: Awaited<ReturnType<typeof startLocalServer>>

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/index.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it first)')
  server = await startLocalServer({})
  project = await mkdtemp(join(tmpdir(), 'msbe-user-project-'))
  await mkdir(join(project, 'node_modules'), { recursive: true })
  await symlink(ROOT, join(project, 'node_modules', 'microsandbox-edge'), 'dir')
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'user-project', type: 'module', private: true }))
})
afterAll(async () => {
  await server?.stop()
  if (project) await rm(project, { recursive: true, force: true })
})

describe('the built package', () => {
  it('is imported by name and runs real code', async () => {
    await writeFile(join(project, 'app.mjs'), `
      import { MicrosandboxWrapper, createError, definePlugin, isSandboxError, ErrorCode, VERSION } from 'microsandbox-edge'
      const wrapper = new MicrosandboxWrapper({ serverUrl: process.argv[2], logger: { debug() {}, info() {}, warn() {}, error() {} } })
      const r = await wrapper.executeCode('x = 6 * 7\\nprint(x)')
      const bad = await wrapper.executeCode('', {}).catch((e) => e)
      await wrapper.stop()
      console.log(JSON.stringify({ stdout: r.stdout, success: r.success, code: bad.code, isErr: isSandboxError(bad), codes: Object.keys(ErrorCode).length, version: VERSION, plugin: typeof definePlugin, mk: createError('BACKEND_ERROR', 'x').status }))
    `)
    const { stdout } = await run(process.execPath, ['app.mjs', server.url], { cwd: project })
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }
    expect(JSON.parse(stdout)).toEqual({ stdout: '42', success: true, code: 'VALIDATION_ERROR', isErr: true, codes: 15, version: pkg.version, plugin: 'function', mk: 502 })
  })

  it('ships types a TypeScript project can check against', async () => {
    const options = { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true, lib: ['ES2023', 'DOM', 'ESNext.Disposable'], types: [] }
    await writeFile(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: options, files: ['use.ts'] }))
    await writeFile(join(project, 'tsconfig.wrong.json'), JSON.stringify({ compilerOptions: options, files: ['wrong.ts'] }))
    await writeFile(join(project, 'use.ts'), `
      import { MicrosandboxWrapper, type ExecutionResult, type SandboxError } from 'microsandbox-edge'
      export async function main(): Promise<number> {
        await using wrapper = new MicrosandboxWrapper({ serverUrl: 'http://127.0.0.1:5555', maxConcurrentSessions: 3 })
        const r: ExecutionResult = await wrapper.executeCode('1', { template: 'python', flavor: 'small', timeout: 30 })
        const e: SandboxError | undefined = undefined
        return r.executionTimeMs + (e ? 1 : 0)
      }
    `)
    await writeFile(join(project, 'wrong.ts'), `
      import { MicrosandboxWrapper } from 'microsandbox-edge'
      new MicrosandboxWrapper().executeCode('1', { flavor: 'enormous' })
    `)
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc')
    await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project })
    const wrong = await run(process.execPath, [tsc, '-p', 'tsconfig.wrong.json'], { cwd: project }).then(() => '', (e: { stdout: string }) => e.stdout)
    expect(wrong).toContain('enormous')
  })
})
