/**
 * Params of the five methods, validated like upstream: serde structs for start/stop/metrics
 * (`Invalid params for <method>: <serde message>`), the name rules of §4.0, and the routing checks
 * of the portal-forwarded methods. Two dialects: HEAD (namespace optional) and v0.2.6 (required).
 * @module
 */
import { isObject, type JsonObject, type JsonValue } from './json.ts'
import { DeError, opt, seq, str, strMap, struct, uint, type De, type Field } from './serde.ts'
import { validationError } from './errors.ts'

/** `config` of sandbox.start, as SandboxConfig. */
export interface StartConfig {
  image?: string | undefined
  memory?: number | undefined
  cpus?: number | undefined
  volumes: string[]
  ports: string[]
  envs: string[]
  depends_on: string[]
  workdir?: string | undefined
  shell?: string | undefined
  scripts: Record<string, string>
  exec?: string | undefined
}

/** sandbox.start params. */
export interface StartParams { sandbox: string; namespace?: string | undefined; config?: StartConfig | undefined }
/** sandbox.stop params. */
export interface StopParams { sandbox: string; namespace?: string | undefined }
/** sandbox.metrics.get params. */
export interface MetricsParams { sandbox?: string | undefined; namespace?: string | undefined }

/** The namespace used when a HEAD-dialect request names none. */
export const DEFAULT_NAMESPACE = 'default'

function configDe(strict: boolean): De<StartConfig> {
  const list = (key: string): Field => ({ key, de: seq(str, !strict), missing: 'default', def: () => [] })
  return struct<StartConfig>('SandboxConfig', [
    { key: 'image', de: opt(str), missing: 'none' },
    { key: 'memory', de: opt(uint('u32')), missing: 'none' },
    { key: 'cpus', de: opt(uint('u8')), missing: 'none' },
    list('volumes'), list('ports'), list('envs'), list('depends_on'),
    { key: 'workdir', de: opt(str), missing: 'none' },
    { key: 'shell', de: opt(str), missing: 'none' },
    { key: 'scripts', de: strMap(!strict), missing: 'default', def: () => ({}) },
    { key: 'exec', de: opt(str), missing: 'none' },
  ])
}

function namespaceField(strict: boolean): Field {
  return strict ? { key: 'namespace', de: str, missing: 'required' } : { key: 'namespace', de: opt(str), missing: 'none', seq: false }
}

/** Deserializers for one dialect. */
export function paramDecoders(strict: boolean): { start: De<StartParams>; stop: De<StopParams>; metrics: De<MetricsParams> } {
  const ns = namespaceField(strict)
  return {
    start: struct('SandboxStartParams', [{ key: 'sandbox', de: str, missing: 'required' }, ns, { key: 'config', de: opt(configDe(strict)), missing: 'none' }]),
    stop: struct('SandboxStopParams', [{ key: 'sandbox', de: str, missing: 'required' }, ns]),
    metrics: struct('SandboxMetricsGetParams', [{ key: 'sandbox', de: opt(str), missing: 'none' }, ns]),
  }
}

/** Runs a decoder; serde failures become `Invalid params for <method>: ...` (400, 2001). */
export function decodeParams<T>(method: string, de: De<T>, params: JsonValue): T {
  try {
    return de(params)
  } catch (e) {
    if (e instanceof DeError) throw validationError(`Invalid params for ${method}: ${e.message}`)
    throw e
  }
}

function nameRule(value: string, what: 'Sandbox name' | 'Namespace', wildcard: boolean): string | undefined {
  if (value === '') return `${what} cannot be empty`
  if (Buffer.byteLength(value) > 63) return `${what} cannot exceed 63 characters`
  if (wildcard && value === '*') return 'Wildcard namespace (*) is not valid for sandbox creation'
  if (!/^[A-Za-z0-9_-]*$/.test(value)) return `${what} can only contain alphanumeric characters, hyphens, or underscores`
  if (!/^[A-Za-z0-9]/.test(value)) return `${what} must start with an alphanumeric character`
  return undefined
}

/** validate_sandbox_name: throws the exact 400 of §4.0. */
export function checkSandboxName(name: string): void {
  const msg = nameRule(name, 'Sandbox name', false)
  if (msg) throw validationError(msg)
}

/** validate_namespace (v0.2.6 wording); `*` is refused unless `allowWildcard`. */
export function checkNamespace(namespace: string, allowWildcard = false): void {
  if (allowWildcard && namespace === '*') return
  const msg = nameRule(namespace, 'Namespace', true)
  if (msg) throw validationError(msg)
}

/** Routing part of a portal-forwarded call (repl/command). */
export interface PortalRoute { sandbox: string; namespace: string; params: JsonObject }

/** The server-side checks of forward_rpc_to_portal; everything else is the portal's business. */
export function routePortal(params: JsonValue, strict: boolean): PortalRoute {
  if (!isObject(params)) throw validationError("Request parameters must be an object containing 'sandbox'")
  const sandbox = params.sandbox
  if (typeof sandbox !== 'string') throw validationError("Missing required 'sandbox' parameter for portal request")
  const namespace = params.namespace
  if (typeof namespace === 'string') return { sandbox, namespace, params }
  if (strict || (namespace !== undefined && namespace !== null)) {
    throw validationError("Missing required 'namespace' parameter for portal request")
  }
  return { sandbox, namespace: DEFAULT_NAMESPACE, params }
}
