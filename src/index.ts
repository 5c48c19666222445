/**
 * microsandbox-edge: run untrusted Python and Node code and shell commands in Microsandbox
 * sandboxes from any JavaScript runtime, with sessions in any unstorage store.
 * @module
 */
export { MicrosandboxWrapper } from './wrapper.ts'
export type { WrapperOptions, HealthReport, PrincipalOptions } from './wrapper.ts'
export { configFromEnv, parseServiceEnv, parseVolumeMappings, resolveConfig } from './config.ts'
export type { WrapperConfig, WrapperConfigInput } from './config.ts'
export { createError, ConfigurationError, AuthError, BackendError, ERROR_INFO, ErrorCode, isSandboxError, LimitError, SandboxError, SessionError, toSandboxError, ValidationError } from './errors.ts'
export type { SandboxErrorJSON, SandboxErrorOptions } from './errors.ts'
export { definePlugin } from './plugins.ts'
export type { HookMap, HookName, HookFn, Plugin, PluginContext, ScheduledTask, Principal } from './plugins.ts'
export { createConsoleLogger, silentLogger } from './logger.ts'
export type { Logger, LogLevel } from './logger.ts'
export { createClient } from './client/index.ts'
export type { MicrosandboxClient, ClientOptions, CallOptions, SandboxMetrics, StartConfig } from './client/types.ts'
export { FLAVORS } from './types.ts'
export type { CommandResult, ExecutionResult, Flavor, OutputLine, ResourceStats, SessionInfo, SessionStatus, TemplateSpec, VolumeMapping } from './types.ts'
export type { ExecuteCodeOptions, ExecuteCommandOptions } from './validation.ts'
export type { BackgroundStatus, TaskStatus } from './background.ts'
export type { CleanupReport } from './cleanup.ts'
export { VERSION } from './version.ts'
