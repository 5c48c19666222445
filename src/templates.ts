/**
 * Template names: canonical names, aliases and configured templates.
 * @module
 */
import type { WrapperConfig } from './config.ts'
import { createError } from './errors.ts'

/** Aliases of the built-in templates. */
export const TEMPLATE_ALIASES: Readonly<Record<string, string>> = { nodejs: 'node', javascript: 'node', js: 'node', python3: 'python', py: 'python' }

/**
 * The canonical name of a template, or a VALIDATION_ERROR listing the known ones.
 * @example
 * resolveTemplate('JavaScript', config) // 'node'
 */
export function resolveTemplate(name: string, config: Pick<WrapperConfig, 'templates'>): string {
  const lower = name.trim().toLowerCase()
  const canonical = config.templates[lower] ? lower : TEMPLATE_ALIASES[lower]
  if (canonical && config.templates[canonical]) return canonical
  const known = Object.keys(config.templates)
  throw createError('VALIDATION_ERROR', `Unknown template "${name}"; known templates: ${known.join(', ')}`, {
    details: { issues: [{ path: 'options.template', message: `must be one of ${known.join(', ')}` }] },
  })
}
