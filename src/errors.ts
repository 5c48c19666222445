/**
 * One error model for the SDK, the HTTP API and the MCP endpoint: a const object of codes, each
 * with an HTTP status, a retryable flag and a suggestion; `SandboxError` and one subclass per family.
 * @module
 */

/** Every error code the SDK raises. */
export const ErrorCode = {
  VALIDATION_ERROR: 'VALIDATION_ERROR',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  SESSION_NOT_FOUND: 'SESSION_NOT_FOUND',
  TEMPLATE_MISMATCH: 'TEMPLATE_MISMATCH',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  COMMAND_NOT_FOUND: 'COMMAND_NOT_FOUND',
  RESOURCE_LIMIT: 'RESOURCE_LIMIT',
  QUOTA_EXCEEDED: 'QUOTA_EXCEEDED',
  BACKEND_ERROR: 'BACKEND_ERROR',
  SANDBOX_START_FAILED: 'SANDBOX_START_FAILED',
  BACKEND_UNAVAILABLE: 'BACKEND_UNAVAILABLE',
  BACKEND_TIMEOUT: 'BACKEND_TIMEOUT',
  CONFIGURATION_ERROR: 'CONFIGURATION_ERROR',
  INTERNAL_ERROR: 'INTERNAL_ERROR',
} as const

/** A code of {@link ErrorCode}. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

interface CodeInfo {
  status: number
  retryable: boolean
  suggestion: string
}

/** Status, retryability and the default suggestion of every code. */
export const ERROR_INFO: Record<ErrorCode, CodeInfo> = {
  VALIDATION_ERROR: { status: 400, retryable: false, suggestion: 'Fix the fields named in details.issues and send the request again.' },
  UNAUTHORIZED: { status: 401, retryable: false, suggestion: 'Send "Authorization: Bearer <secret>" with a key from MSB_HTTP_API_KEYS.' },
  FORBIDDEN: { status: 403, retryable: false, suggestion: 'This route needs the key named "admin".' },
  SESSION_NOT_FOUND: { status: 404, retryable: false, suggestion: 'Omit sessionId to start a new session, or list your sessions with getSessions().' },
  TEMPLATE_MISMATCH: { status: 409, retryable: false, suggestion: 'Use the template and flavor the session was created with, or start a new session.' },
  PAYLOAD_TOO_LARGE: { status: 413, retryable: false, suggestion: 'Send less than 2 MiB of code; write large data to a volume instead.' },
  COMMAND_NOT_FOUND: { status: 422, retryable: false, suggestion: 'Check the command name, or run a shell line with command "sh" and args ["-c", "..."].' },
  RESOURCE_LIMIT: { status: 429, retryable: true, suggestion: 'Stop idle sessions, wait for them to expire, or raise MSB_MAX_SESSIONS / MSB_MAX_TOTAL_MEMORY_MB.' },
  QUOTA_EXCEEDED: { status: 429, retryable: true, suggestion: 'Wait for the quota window to pass (see Retry-After).' },
  BACKEND_ERROR: { status: 502, retryable: false, suggestion: 'The sandbox server failed the call; check its logs.' },
  SANDBOX_START_FAILED: { status: 502, retryable: true, suggestion: 'Check that the server can run the template image and has free resources.' },
  BACKEND_UNAVAILABLE: { status: 503, retryable: true, suggestion: 'Check that the sandbox server is running and MSB_SERVER_URL points to it.' },
  BACKEND_TIMEOUT: { status: 504, retryable: true, suggestion: 'Raise the timeout, or make the code finish sooner.' },
  CONFIGURATION_ERROR: { status: 500, retryable: false, suggestion: 'Fix the configuration value named in the message.' },
  INTERNAL_ERROR: { status: 500, retryable: false, suggestion: 'This is a bug in microsandbox-edge; please report it.' },
}

/** Options of every error constructor. */
export interface SandboxErrorOptions {
  details?: Record<string, unknown> | undefined
  cause?: unknown
  suggestion?: string | undefined
  /** Seconds after which a retry may succeed (RESOURCE_LIMIT, QUOTA_EXCEEDED). */
  retryAfter?: number | undefined
}

/** The JSON form of an error, as the HTTP API sends it under `error`. */
export interface SandboxErrorJSON {
  code: ErrorCode
  message: string
  retryable: boolean
  suggestion?: string
  details?: Record<string, unknown>
}

/**
 * The base of every error the SDK throws.
 * @example
 * try { await wrapper.executeCode('1') } catch (e) { if (isSandboxError(e)) console.log(e.code, e.status) }
 */
export class SandboxError extends Error {
  readonly code: ErrorCode
  readonly status: number
  readonly retryable: boolean
  readonly suggestion: string | undefined
  readonly details: Record<string, unknown> | undefined
  readonly retryAfter: number | undefined

  constructor(code: ErrorCode, message: string, options: SandboxErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    const info = ERROR_INFO[code]
    this.name = new.target.name
    this.code = code
    this.status = info.status
    this.retryable = info.retryable
    this.suggestion = options.suggestion ?? info.suggestion
    this.details = options.details
    this.retryAfter = options.retryAfter
  }

  /** The wire form: code, message, retryable, suggestion and details; never a stack. */
  toJSON(): SandboxErrorJSON {
    const json: SandboxErrorJSON = { code: this.code, message: this.message, retryable: this.retryable }
    if (this.suggestion) json.suggestion = this.suggestion
    if (this.details && Object.keys(this.details).length > 0) json.details = this.details
    return json
  }
}

/** Bad input: VALIDATION_ERROR, PAYLOAD_TOO_LARGE. */
export class ValidationError extends SandboxError {}
/** HTTP API authentication: UNAUTHORIZED, FORBIDDEN. */
export class AuthError extends SandboxError {}
/** Session state: SESSION_NOT_FOUND, TEMPLATE_MISMATCH. */
export class SessionError extends SandboxError {}
/** Limits and quotas: RESOURCE_LIMIT, QUOTA_EXCEEDED. */
export class LimitError extends SandboxError {}
/** The sandbox server: BACKEND_*, SANDBOX_START_FAILED, COMMAND_NOT_FOUND. */
export class BackendError extends SandboxError {}
/** Configuration: CONFIGURATION_ERROR. */
export class ConfigurationError extends SandboxError {}

const FAMILY: Record<ErrorCode, new (code: ErrorCode, message: string, options?: SandboxErrorOptions) => SandboxError> = {
  VALIDATION_ERROR: ValidationError,
  PAYLOAD_TOO_LARGE: ValidationError,
  UNAUTHORIZED: AuthError,
  FORBIDDEN: AuthError,
  SESSION_NOT_FOUND: SessionError,
  TEMPLATE_MISMATCH: SessionError,
  RESOURCE_LIMIT: LimitError,
  QUOTA_EXCEEDED: LimitError,
  COMMAND_NOT_FOUND: BackendError,
  BACKEND_ERROR: BackendError,
  SANDBOX_START_FAILED: BackendError,
  BACKEND_UNAVAILABLE: BackendError,
  BACKEND_TIMEOUT: BackendError,
  CONFIGURATION_ERROR: ConfigurationError,
  INTERNAL_ERROR: SandboxError,
}

/**
 * Makes the error of a code, as an instance of its family's subclass.
 * @example
 * throw createError('SESSION_NOT_FOUND', `Session "${id}" does not exist`, { details: { sessionId: id } })
 */
export function createError(code: ErrorCode, message: string, options?: SandboxErrorOptions): SandboxError {
  const Family = FAMILY[code]
  return new Family(code, message, options)
}

/**
 * True for every error the SDK throws, also across bundle copies (checks the shape, not the class).
 * @example
 * if (isSandboxError(e) && e.retryable) retry()
 */
export function isSandboxError(value: unknown): value is SandboxError {
  return value instanceof SandboxError ||
    (value instanceof Error && typeof (value as Partial<SandboxError>).code === 'string' &&
      (value as Partial<SandboxError>).code! in ERROR_INFO && typeof (value as Partial<SandboxError>).status === 'number')
}

/**
 * Turns anything thrown into a SandboxError: SandboxErrors pass through, the rest become
 * INTERNAL_ERROR with the original as `cause` (its message is not exposed).
 */
export function toSandboxError(value: unknown): SandboxError {
  if (isSandboxError(value)) return value
  return createError('INTERNAL_ERROR', 'An unexpected error occurred', { cause: value })
}
