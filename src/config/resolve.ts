/**
 * `resolveConfig`: validates a partial configuration (programmatic or from the env) and fills the defaults.
 * @module
 */
import * as v from 'valibot'
import { createError } from '../errors.ts'
import { FLAVORS, type TemplateSpec } from '../types.ts'
import { BUILTIN_TEMPLATE_ALIASES, BUILTIN_TEMPLATES, CONFIG_DEFAULTS } from './defaults.ts'
import { checkField, configError, show, type ConfigField } from './fields.ts'
import {
  apiKeySchema, booleanSchema, flavorSchema, intSchema, logLevelSchema, nameSchema, numberSchema, onMissingSessionSchema,
  recordSchema, templateNameSchema, templateSpecSchema, urlSchema,
} from './schemas.ts'
import type { WrapperConfig, WrapperConfigInput } from './types.ts'
import { parseVolumeMappings, splitVolumeMappings } from './volumes.ts'

const opt = v.optional
const InputSchema = v.object({
  serverUrl: opt(urlSchema('serverUrl')),
  apiKey: opt(apiKeySchema('apiKey')),
  namespace: opt(nameSchema('namespace', 63)),
  sessionTimeout: opt(intSchema('sessionTimeout')),
  maxConcurrentSessions: opt(intSchema('maxConcurrentSessions')),
  cleanupInterval: opt(intSchema('cleanupInterval')),
  orphanCleanupInterval: opt(intSchema('orphanCleanupInterval')),
  orphanGracePeriod: opt(intSchema('orphanGracePeriod', 0)),
  defaultFlavor: opt(flavorSchema('defaultFlavor')),
  sandboxStartTimeout: opt(numberSchema('sandboxStartTimeout')),
  defaultExecutionTimeout: opt(intSchema('defaultExecutionTimeout')),
  maxTotalMemoryMb: opt(intSchema('maxTotalMemoryMb', 1, Number.MAX_SAFE_INTEGER)),
  sharedVolumeMappings: opt(v.union([v.string(), v.array(v.unknown())],
    (i) => `sharedVolumeMappings must be a list of 'host_path:container_path[:ro|:rw]' strings, got ${show(i.input)}`)),
  enableLruEviction: opt(booleanSchema('enableLruEviction')),
  servers: opt(v.array(urlSchema('servers'), (i) => `servers must be a list of http:// or https:// URLs, got ${show(i.input)}`)),
  templates: opt(recordSchema((i) => `templates must be an object of name -> {image, language}, got ${show(i.input)}`)),
  templateAliases: opt(recordSchema((i) => `templateAliases must be an object of alias -> template name, got ${show(i.input)}`)),
  onMissingSession: opt(onMissingSessionSchema('onMissingSession')),
  sandboxPrefix: opt(nameSchema('sandboxPrefix', 20)),
  logLevel: opt(logLevelSchema('logLevel')),
})

/**
 * Validates a partial configuration and fills in the defaults; throws CONFIGURATION_ERROR
 * naming the field, its env variable, the value (never the API key) and the expected format.
 * @example
 * const config = resolveConfig({ serverUrl: 'http://127.0.0.1:5555', maxConcurrentSessions: 4 })
 */
export function resolveConfig(input: WrapperConfigInput = {}): WrapperConfig {
  if (input === null || typeof input !== 'object') {
    throw createError('CONFIGURATION_ERROR', `The configuration must be an object, got ${show(input)}`, {
      details: { expected: 'an object of WrapperConfig fields' },
    })
  }
  const result = v.safeParse(InputSchema, input)
  if (!result.success) {
    const issue = result.issues[0]
    const field = (issue.path?.[0]?.key ?? 'serverUrl') as ConfigField
    throw configError(field, issue.message, (input as Record<string, unknown>)[field])
  }
  const o = result.output
  const servers = [...new Set(o.servers ?? [])]
  const serverUrl = o.serverUrl ?? servers[0] ?? CONFIG_DEFAULTS.serverUrl
  const defaultFlavor = o.defaultFlavor ?? CONFIG_DEFAULTS.defaultFlavor
  const sessionTimeout = o.sessionTimeout ?? CONFIG_DEFAULTS.sessionTimeout
  const cleanupInterval = o.cleanupInterval ?? CONFIG_DEFAULTS.cleanupInterval
  if (cleanupInterval >= sessionTimeout) {
    throw configError('cleanupInterval', `Cleanup interval (${cleanupInterval}s) must be less than session timeout (${sessionTimeout}s)`,
      cleanupInterval, { expected: `a positive integer less than sessionTimeout (${sessionTimeout})` })
  }
  const minMemory = FLAVORS[defaultFlavor].memoryMb
  if (o.maxTotalMemoryMb !== undefined && o.maxTotalMemoryMb < minMemory) {
    throw configError('maxTotalMemoryMb', `Max total memory (${o.maxTotalMemoryMb}MB) is less than minimum needed for default flavor (${minMemory}MB)`,
      o.maxTotalMemoryMb, { expected: `a positive integer of at least ${minMemory} (the memory of the default flavor '${defaultFlavor}')` })
  }
  const rawVolumes = (o.sharedVolumeMappings ?? []) as string | string[]
  const templates = resolveTemplates(o.templates ?? {}, 'templates')
  return {
    serverUrl,
    apiKey: o.apiKey === '' ? undefined : o.apiKey,
    namespace: o.namespace ?? CONFIG_DEFAULTS.namespace,
    sessionTimeout,
    maxConcurrentSessions: o.maxConcurrentSessions ?? CONFIG_DEFAULTS.maxConcurrentSessions,
    cleanupInterval,
    orphanCleanupInterval: o.orphanCleanupInterval ?? CONFIG_DEFAULTS.orphanCleanupInterval,
    orphanGracePeriod: o.orphanGracePeriod ?? CONFIG_DEFAULTS.orphanGracePeriod,
    defaultFlavor,
    sandboxStartTimeout: o.sandboxStartTimeout ?? CONFIG_DEFAULTS.sandboxStartTimeout,
    defaultExecutionTimeout: o.defaultExecutionTimeout ?? CONFIG_DEFAULTS.defaultExecutionTimeout,
    maxTotalMemoryMb: o.maxTotalMemoryMb,
    sharedVolumeMappings: splitVolumeMappings(rawVolumes, 'sharedVolumeMappings'),
    volumeMappings: parseVolumeMappings(rawVolumes, 'sharedVolumeMappings'),
    enableLruEviction: o.enableLruEviction ?? CONFIG_DEFAULTS.enableLruEviction,
    servers: servers.length > 0 ? servers : [serverUrl],
    templates,
    templateAliases: resolveAliases(o.templateAliases ?? {}, templates),
    onMissingSession: o.onMissingSession ?? CONFIG_DEFAULTS.onMissingSession,
    sandboxPrefix: o.sandboxPrefix ?? CONFIG_DEFAULTS.sandboxPrefix,
    logLevel: o.logLevel ?? CONFIG_DEFAULTS.logLevel,
  }
}

/**
 * Validates user templates (name -> {image, language}) and merges them over the built-ins.
 * @example
 * resolveTemplates({ ruby: { image: 'me/ruby', language: 'python' } }, 'templates')
 */
export function resolveTemplates(user: Record<string, unknown>, label: string, variable?: string): Record<string, TemplateSpec> {
  const out: Record<string, TemplateSpec> = {}
  for (const [name, spec] of Object.entries(BUILTIN_TEMPLATES)) out[name] = { ...spec }
  for (const [rawName, spec] of Object.entries(user)) {
    const name = checkField('templates', templateNameSchema(label), rawName, variable)
    out[name] = checkField('templates', templateSpecSchema(`${label}.${rawName}`), spec, variable)
  }
  return out
}

function resolveAliases(user: Record<string, unknown>, templates: Record<string, TemplateSpec>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [alias, target] of Object.entries(BUILTIN_TEMPLATE_ALIASES)) if (!(alias in templates)) out[alias] = target
  for (const [rawAlias, rawTarget] of Object.entries(user)) {
    const alias = checkField('templateAliases', templateNameSchema('templateAliases'), rawAlias)
    const target = checkField('templateAliases', templateNameSchema(`templateAliases.${rawAlias}`), rawTarget)
    if (!(target in templates)) {
      throw configError('templateAliases', `templateAliases.${rawAlias} points to an unknown template '${target}'. Known templates: ${Object.keys(templates).join(', ')}`, rawTarget)
    }
    if (alias in templates) {
      throw configError('templateAliases', `templateAliases.${rawAlias} has the name of a template; pick another alias`, rawAlias)
    }
    out[alias] = target
  }
  return out
}

/**
 * Finds a template by name or alias (case-insensitive); undefined when unknown.
 * @example
 * lookupTemplate(config, 'JavaScript') // { name: 'node', image: 'microsandbox/node', language: 'nodejs' }
 */
export function lookupTemplate(
  config: Pick<WrapperConfig, 'templates' | 'templateAliases'>,
  name: string,
): (TemplateSpec & { name: string }) | undefined {
  const key = name.trim().toLowerCase()
  const canonical = Object.hasOwn(config.templates, key)
    ? key
    : Object.hasOwn(config.templateAliases, key) ? config.templateAliases[key] : undefined
  if (canonical === undefined || !Object.hasOwn(config.templates, canonical)) return undefined
  const spec = config.templates[canonical]
  return spec ? { name: canonical, image: spec.image, language: spec.language } : undefined
}
