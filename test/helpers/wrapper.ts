/**
 * Test fixture: wrappers against a real local server, with a log that tests can read, all
 * stopped after the file.
 */
import { afterAll } from 'vitest'
import { MicrosandboxWrapper, type WrapperOptions } from '../../src/index.ts'
import type { Logger } from '../../src/logger.ts'

/** A logger that keeps what it was told, for assertions on warnings. */
export function memoryLogger() {
  const lines: Array<{ level: string; message: string; fields: Record<string, unknown> | undefined }> = []
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => void lines.push({ level, message, fields })
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
  return { logger, lines }
}

const made: MicrosandboxWrapper[] = []
afterAll(async () => {
  await Promise.allSettled(made.map((w) => w.stop()))
})

/** A wrapper that is stopped (with its sessions) when the test file ends. */
export function makeWrapper(options: WrapperOptions): MicrosandboxWrapper {
  const wrapper = new MicrosandboxWrapper({ logger: memoryLogger().logger, ...options })
  made.push(wrapper)
  return wrapper
}

/** Runs `fn` and returns what it threw (fails the test if it did not throw). */
export async function caught(fn: () => Promise<unknown>): Promise<Error & { code?: string; status?: number; details?: Record<string, unknown> }> {
  try {
    await fn()
  } catch (error) {
    return error as Error & { code?: string }
  }
  throw new Error('expected the call to throw, and it did not')
}
