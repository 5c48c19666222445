/**
 * Template names: canonical names, aliases and configured templates.
 * @module
 */
import { lookupTemplate, type WrapperConfig } from './config.ts'
import { createError } from './errors.ts'

/**
 * The canonical name of a template (aliases such as `nodejs` resolved), or a VALIDATION_ERROR
 * listing the known ones.
 * @example
 * resolveTemplate('JavaScript', config) // 'node'
 */
export function resolveTemplate(name: string, config: Pick<WrapperConfig, 'templates' | 'templateAliases'>): string {
  const found = lookupTemplate(config, name)
  if (found) return found.name
  const known = [...Object.keys(config.templates), ...Object.keys(config.templateAliases)]
  throw createError('VALIDATION_ERROR', `Unknown template "${name}"; known templates: ${known.join(', ')}`, {
    details: { issues: [{ path: 'options.template', message: `must be one of ${known.join(', ')}` }] },
  })
}
