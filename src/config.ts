/**
 * The configuration of microsandbox-edge: `WrapperConfig`, `resolveConfig(input)`,
 * `configFromEnv(env)`, `parseServiceEnv(env)` and volume mapping parsing.
 * @module
 */
export type { LogLevel, MissingSessionPolicy, WrapperConfig, WrapperConfigInput } from './config/types.ts'
export {
  BUILTIN_TEMPLATE_ALIASES, BUILTIN_TEMPLATES, CONFIG_DEFAULTS, LOG_LEVELS, MAX_SECONDS, MISSING_SESSION_POLICIES,
  SERVICE_DEFAULTS,
} from './config/defaults.ts'
export { FIELDS, type ConfigField } from './config/fields.ts'
export { lookupTemplate, resolveConfig, resolveTemplates } from './config/resolve.ts'
export { configFromEnv, envValue, parseEnvBoolean, parseEnvFloat, parseEnvInt, type EnvRecord } from './config/env.ts'
export {
  parseHttpApiKeys, parseServiceEnv, parseStorage, type HttpApiKey, type ServiceEnv, type StorageSpec,
} from './config/service.ts'
export { formatVolumeMapping, parseVolumeMappings, splitVolumeMappings } from './config/volumes.ts'
