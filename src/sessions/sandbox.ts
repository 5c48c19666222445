/**
 * The sandbox behind a session: start it with the session's template and flavor, stop it, and
 * tell whether the server still runs it.
 * @module
 */
import type { WrapperConfig } from '../config.ts'
import { createError, isSandboxError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import { FLAVORS } from '../types.ts'
import type { Placement } from './placement.ts'
import type { SessionRecord } from './types.ts'

/** Starts (or restarts) the record's sandbox; SANDBOX_START_FAILED unless the host is unreachable or slow. */
export async function startSandbox(record: SessionRecord, config: WrapperConfig, placement: Placement): Promise<void> {
  const spec = config.templates[record.template]
  if (!spec) throw createError('VALIDATION_ERROR', `Unknown template "${record.template}"`)
  const flavor = FLAVORS[record.flavor]
  const volumes = config.sharedVolumeMappings.length > 0 ? [...config.sharedVolumeMappings] : undefined
  try {
    await placement.client(record.serverUrl).startSandbox(
      record.sandboxName,
      { image: spec.image, memory: flavor.memoryMb, cpus: flavor.cpus, volumes },
      { timeoutMs: Math.ceil(config.sandboxStartTimeout * 1000) },
    )
    placement.observe(record.serverUrl)
  } catch (error) {
    placement.observe(record.serverUrl, error)
    if (isSandboxError(error) && (error.code === 'BACKEND_UNAVAILABLE' || error.code === 'BACKEND_TIMEOUT' || error.code === 'UNAUTHORIZED')) throw error
    throw createError('SANDBOX_START_FAILED', `The ${record.template} sandbox (${record.flavor}) could not be started on ${record.serverUrl}: ${isSandboxError(error) ? error.message : 'unexpected error'}`, {
      cause: error,
      details: { template: record.template, flavor: record.flavor, image: spec.image, serverUrl: record.serverUrl, ...(isSandboxError(error) ? error.details : {}) },
    })
  }
}

/** Stops the record's sandbox; failures are logged, never thrown (the orphan reaper catches leftovers). */
export async function stopSandboxQuietly(record: Pick<SessionRecord, 'sandboxName' | 'serverUrl'>, placement: Placement, logger: Logger): Promise<boolean> {
  try {
    await placement.client(record.serverUrl).stopSandbox(record.sandboxName)
    placement.observe(record.serverUrl)
    return true
  } catch (error) {
    placement.observe(record.serverUrl, error)
    logger.warn('could not stop a sandbox; the orphan reaper will retry', {
      sandboxName: record.sandboxName,
      serverUrl: record.serverUrl,
      error: isSandboxError(error) ? error.code : 'INTERNAL_ERROR',
    })
    return false
  }
}

/**
 * True when the server no longer runs the sandbox (unknown to it, or configured but stopped):
 * asked after an execution failed with a server error. Unreachable hosts rethrow.
 */
export async function sandboxIsGone(record: SessionRecord, placement: Placement): Promise<boolean> {
  try {
    const items = await placement.client(record.serverUrl).metrics(record.sandboxName)
    const item = items.find((m) => m.name === record.sandboxName)
    return !item || !item.running
  } catch (error) {
    if (isSandboxError(error) && (error.code === 'BACKEND_ERROR' || error.code === 'VALIDATION_ERROR')) return true
    throw error
  }
}
