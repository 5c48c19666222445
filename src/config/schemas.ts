/**
 * Valibot schemas of the configuration's values. Each takes a label (the field or the env
 * variable) so that messages name what the user set; the messages are the seed's where it had one.
 * @module
 */
import * as v from 'valibot'
import { FLAVORS } from '../types.ts'
import { LOG_LEVELS, MAX_SECONDS, MISSING_SESSION_POLICIES, REPL_LANGUAGES } from './defaults.ts'
import { show } from './fields.ts'

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_-]*$/

/**
 * An http(s) URL, trimmed, without trailing slashes; the seed's message otherwise.
 * @example
 * v.parse(urlSchema('MSB_SERVER_URL'), 'http://h:5555/') // 'http://h:5555'
 */
export const urlSchema = (label: string) => v.pipe(
  v.string((i) => `Invalid server URL format: ${show(i.input)}. Must start with http:// or https:// (${label})`),
  v.trim(),
  v.check((s) => /^https?:\/\//.test(s), (i) => `Invalid server URL format: ${String(i.input)}. Must start with http:// or https:// (${label})`),
  v.check(isParsableUrl, (i) => `${label} is not a valid URL: ${show(i.input)}`),
  v.transform((s) => s.replace(/\/+$/, '')),
)

function isParsableUrl(s: string): boolean {
  try {
    return new URL(s).host !== ''
  } catch {
    return false
  }
}

/**
 * An integer of at least `min` seconds (or units) and at most MAX_SECONDS, with the seed's messages.
 * @example
 * v.parse(intSchema('MSB_MAX_SESSIONS'), 10) // 10
 */
export const intSchema = (label: string, min = 1, max = MAX_SECONDS) => v.pipe(
  v.number((i) => `${label} must be a valid integer, got ${show(i.input)}`),
  v.integer((i) => `${label} must be a valid integer, got ${show(i.input)}`),
  v.minValue(min, (i) => `${label} must be a ${min === 0 ? 'non-negative' : 'positive'} integer, got ${show(i.input)}`),
  v.maxValue(max, (i) => `${label} must be at most ${max}, got ${show(i.input)}`),
)

/**
 * A positive finite number (fractions allowed), with the seed's messages.
 * @example
 * v.parse(numberSchema('sandboxStartTimeout'), 1.5) // 1.5
 */
export const numberSchema = (label: string) => v.pipe(
  v.number((i) => `${label} must be a valid number, got ${show(i.input)}`),
  v.finite((i) => `${label} must be a valid number, got ${show(i.input)}`),
  v.gtValue(0, (i) => `${label} must be a positive number, got ${show(i.input)}`),
  v.maxValue(MAX_SECONDS, (i) => `${label} must be at most ${MAX_SECONDS}, got ${show(i.input)}`),
)

/**
 * A boolean.
 * @example
 * v.parse(booleanSchema('enableLruEviction'), true) // true
 */
export const booleanSchema = (label: string) =>
  v.boolean((i) => `${label} must be a valid boolean value (true/false, 1/0, yes/no, on/off, enabled/disabled), got ${show(i.input)}`)

/**
 * A flavor name, case-insensitive, with the seed's message.
 * @example
 * v.parse(flavorSchema('defaultFlavor'), ' Large ') // 'large'
 */
export const flavorSchema = (label: string) => v.pipe(
  v.string((i) => `Invalid ${label} ${show(i.input)}. Valid options are: ${Object.keys(FLAVORS).join(', ')}`),
  v.trim(),
  v.toLowerCase(),
  v.picklist(Object.keys(FLAVORS) as Array<keyof typeof FLAVORS>,
    (i) => `Invalid ${label} ${show(i.input)}. Valid options are: ${Object.keys(FLAVORS).join(', ')}`),
)

/**
 * A name following the server's rules: `[A-Za-z0-9][A-Za-z0-9_-]*`, 1 to `max` characters.
 * @example
 * v.parse(nameSchema('namespace', 63), 'team-a') // 'team-a'
 */
export const nameSchema = (label: string, max: number) => v.pipe(
  v.string((i) => `${label} must be a string, got ${show(i.input)}`),
  v.trim(),
  v.nonEmpty(`${label} must not be empty`),
  v.maxLength(max, (i) => `${label} must be at most ${max} characters, got ${show(i.input)}`),
  v.regex(NAME_RE, (i) => `${label} may contain only letters, digits, '_' and '-', starting with a letter or digit, got ${show(i.input)}`),
)

/**
 * One of a fixed list of words, case-insensitive.
 * @example
 * v.parse(choiceSchema('mode', ['a', 'b']), 'A') // 'a'
 */
export const choiceSchema = <const T extends readonly string[]>(label: string, options: T) => v.pipe(
  v.string((i) => `${label} must be one of ${options.join(', ')}, got ${show(i.input)}`),
  v.trim(),
  v.toLowerCase(),
  v.picklist(options, (i) => `${label} must be one of ${options.join(', ')}, got ${show(i.input)}`),
)

/**
 * The policy for unknown session ids.
 * @example
 * v.parse(onMissingSessionSchema('onMissingSession'), 'error') // 'error'
 */
export const onMissingSessionSchema = (label: string) => choiceSchema(label, MISSING_SESSION_POLICIES)

/**
 * A log level (`warning` is read as `warn`).
 * @example
 * v.parse(logLevelSchema('MSB_LOG_LEVEL'), 'WARNING') // 'warn'
 */
export const logLevelSchema = (label: string) => v.pipe(
  v.string((i) => `${label} must be one of ${LOG_LEVELS.join(', ')}, got ${show(i.input)}`),
  v.trim(),
  v.toLowerCase(),
  v.transform((s) => (s === 'warning' ? 'warn' : s)),
  v.picklist(LOG_LEVELS, (i) => `${label} must be one of ${LOG_LEVELS.join(', ')}, got ${show(i.input)}`),
)

/**
 * An API key: a non-empty string without whitespace or control characters. Never echoed.
 * @example
 * v.parse(apiKeySchema('MSB_API_KEY'), ' msb_x ') // 'msb_x'
 */
export const apiKeySchema = (label: string) => v.pipe(
  v.string(`${label} must be a string`),
  v.trim(),
  v.check((s) => !/[\s\x00-\x1f\x7f]/.test(s), `${label} must not contain whitespace or control characters`),
)

/**
 * An OCI image reference: non-empty, no whitespace.
 * @example
 * v.parse(imageSchema('image'), 'microsandbox/python') // 'microsandbox/python'
 */
export const imageSchema = (label: string) => v.pipe(
  v.string((i) => `${label} must be an image name such as 'microsandbox/python', got ${show(i.input)}`),
  v.trim(),
  v.nonEmpty(`${label} must not be empty`),
  v.check((s) => !/\s/.test(s), (i) => `${label} must not contain whitespace, got ${show(i.input)}`),
)

/**
 * A REPL language the portal understands.
 * @example
 * v.parse(languageSchema('language'), 'NodeJS') // 'nodejs'
 */
export const languageSchema = (label: string) => choiceSchema(label, REPL_LANGUAGES)

/**
 * A template name: 1-63 characters of the server's name alphabet (dots allowed), lower-cased.
 * @example
 * v.parse(templateNameSchema('templates'), 'Ruby') // 'ruby'
 */
export const templateNameSchema = (label: string) => v.pipe(
  v.string(),
  v.trim(),
  v.toLowerCase(),
  v.regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/,
    (i) => `${label} template names must be 1-63 characters a-z 0-9 _ . -, starting with a letter or digit, got ${show(i.input)}`),
)

/**
 * A plain object of string keys (not an array).
 * @example
 * v.parse(recordSchema(() => 'must be an object'), { a: 1 }) // { a: 1 }
 */
export const recordSchema = (message: (issue: v.BaseIssue<unknown>) => string) => v.pipe(
  v.unknown(),
  v.check((o) => typeof o === 'object' && o !== null && !Array.isArray(o), message),
  v.record(v.string(), v.unknown(), message),
)

/**
 * A template spec: image and REPL language.
 * @example
 * v.parse(templateSpecSchema('templates.ruby'), { image: 'me/ruby', language: 'python' })
 */
export const templateSpecSchema = (label: string) => v.object(
  { image: imageSchema(`${label}.image`), language: languageSchema(`${label}.language`) },
  (i) => (i.path?.length
    ? `${label}.${v.getDotPath(i) ?? ''} is required`
    : `${label} must be an object {"image": "...", "language": "..."}, got ${show(i.input)}`),
)
