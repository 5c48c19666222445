/**
 * Structured logging: one JSON line per event, filtered by level. Injected everywhere; the
 * default writes to `console`.
 * @module
 */

/** Log levels, least to most severe. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

/** A structured logger. Fields never carry secrets or user code. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void
  info(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

/**
 * A logger writing one JSON line per call to `console`, dropping lines below `level`.
 * @example
 * const logger = createConsoleLogger('debug')
 * logger.info('session created', { sessionId })
 */
export function createConsoleLogger(level: LogLevel = 'info', write: (line: string) => void = (line) => console.error(line)): Logger {
  const min = RANK[level]
  const emit = (lvl: LogLevel) =>
    function log(message: string, fields?: Record<string, unknown>): void {
      if (RANK[lvl] < min) return
      write(JSON.stringify({ time: new Date().toISOString(), level: lvl, message, ...fields }, errorReplacer))
    }
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') }
}

/** A logger that drops everything. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} }

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const json = (value as Error & { toJSON?: () => unknown }).toJSON
    return typeof json === 'function' ? json.call(value) : { name: value.name, message: value.message }
  }
  return value
}
