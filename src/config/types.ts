/**
 * The configuration types: what users pass (`WrapperConfigInput`) and what the SDK uses (`WrapperConfig`).
 * @module
 */
import type { Flavor, TemplateSpec, VolumeMapping } from '../types.ts'
import type { LOG_LEVELS, MISSING_SESSION_POLICIES } from './defaults.ts'

/** A log level. */
export type LogLevel = (typeof LOG_LEVELS)[number]

/** What to do with an unknown `sessionId`: create it under that id, or fail with SESSION_NOT_FOUND. */
export type MissingSessionPolicy = (typeof MISSING_SESSION_POLICIES)[number]

/** The resolved, validated configuration. Times in seconds, memory in MiB, as the env. */
export interface WrapperConfig {
  /** Base URL of the Microsandbox server (no trailing slash). */
  serverUrl: string
  /** API key of the server, sent as a Bearer token; never logged. */
  apiKey?: string | undefined
  /** Namespace sent with every call. */
  namespace: string
  /** Idle time after which a session expires. */
  sessionTimeout: number
  maxConcurrentSessions: number
  /** Interval of the expired-session sweep; less than `sessionTimeout`. */
  cleanupInterval: number
  /** Interval of the orphan reaper. */
  orphanCleanupInterval: number
  /** Minimum age of an unowned sandbox before the reaper stops it. */
  orphanGracePeriod: number
  defaultFlavor: Flavor
  /** Deadline of `sandbox.start` (fractions allowed). */
  sandboxStartTimeout: number
  /** Timeout of an execution when the call gives none. */
  defaultExecutionTimeout: number
  /** Memory limit over all sessions; none when undefined. */
  maxTotalMemoryMb?: number | undefined
  /** The volume mappings as given (trimmed, blank ones dropped). */
  sharedVolumeMappings: string[]
  /** The same mappings, parsed. */
  volumeMappings: VolumeMapping[]
  enableLruEviction: boolean
  /** The Microsandbox hosts sessions are placed on; `[serverUrl]` unless several are configured. */
  servers: string[]
  /** Template name (lower case) -> image and REPL language; built-ins included. */
  templates: Record<string, TemplateSpec>
  /** Alias -> template name (`nodejs` and `javascript` -> `node`). */
  templateAliases: Record<string, string>
  onMissingSession: MissingSessionPolicy
  /** The deployment prefix of sandbox names: 1-20 characters `[A-Za-z0-9][A-Za-z0-9_-]*`. */
  sandboxPrefix: string
  logLevel: LogLevel
}

/**
 * What users pass to `new MicrosandboxWrapper({...})`: every field optional; unknown keys
 * (storage, plugins, fetch, logger) are ignored here.
 */
export interface WrapperConfigInput {
  serverUrl?: string | undefined
  apiKey?: string | undefined
  namespace?: string | undefined
  sessionTimeout?: number | undefined
  maxConcurrentSessions?: number | undefined
  cleanupInterval?: number | undefined
  orphanCleanupInterval?: number | undefined
  orphanGracePeriod?: number | undefined
  defaultFlavor?: Flavor | undefined
  sandboxStartTimeout?: number | undefined
  defaultExecutionTimeout?: number | undefined
  maxTotalMemoryMb?: number | undefined
  /** A list of mappings, or one string as the env takes it (JSON array or comma list). */
  sharedVolumeMappings?: string[] | string | undefined
  enableLruEviction?: boolean | undefined
  servers?: string[] | undefined
  /** Extra templates, merged over the built-ins. */
  templates?: Record<string, TemplateSpec> | undefined
  /** Extra aliases, merged over the built-ins. */
  templateAliases?: Record<string, string> | undefined
  onMissingSession?: MissingSessionPolicy | undefined
  sandboxPrefix?: string | undefined
  logLevel?: LogLevel | undefined
}
