/**
 * The MCP tools and prompts the server lists: upstream's five tools and two prompts, with the
 * v0.2.6 `namespace` argument in the strict dialect.
 * @module
 */
import { isObject, type JsonValue } from './json.ts'
import type { OutValue } from './json-write.ts'

/** A JSON-RPC -32603 "MCP method error: ..." raised while handling an MCP method. */
export class McpMethodError extends Error {}

type Props = Record<string, OutValue>
const string = (description: string): OutValue => ({ type: 'string', description })
const strings = (description: string): OutValue => ({ type: 'array', items: { type: 'string' }, description })

function tool(name: string, description: string, properties: Props, required: string[], strict: boolean): OutValue {
  const ns: Props = strict ? { namespace: string('Namespace of the sandbox (use "*" for all namespaces in metrics)') } : {}
  const req = strict ? [...required.slice(0, 1), 'namespace', ...required.slice(1)] : required
  return { name, description, inputSchema: { type: 'object', properties: { ...properties, ...ns }, required: req } }
}

/** The five tools of tools/list. */
export function mcpTools(strict: boolean): OutValue[] {
  const sandbox = string('Name of the sandbox')
  const config: OutValue = {
    type: 'object',
    description: 'Sandbox configuration',
    properties: {
      image: { type: 'string', description: 'Image to run', enum: ['microsandbox/python', 'microsandbox/node'] },
      memory: { type: 'integer', description: 'Memory limit in MiB' },
      cpus: { type: 'integer', description: 'Number of CPUs' },
      volumes: strings('Volume mappings host:guest[:ro]'),
      ports: strings('Port mappings'),
      envs: strings('Environment variables KEY=VALUE'),
    },
  }
  return [
    tool('sandbox_start', 'Start a sandbox (microsandbox/python or microsandbox/node). Stop it when done.', { sandbox, config }, ['sandbox'], strict),
    tool('sandbox_stop', 'Stop a running sandbox and release its resources.', { sandbox }, ['sandbox'], strict),
    tool('sandbox_run_code', 'Run code in the persistent REPL of a started sandbox.', {
      sandbox, code: string('Code to run'), language: string("Language: 'python' or 'nodejs'"),
    }, ['sandbox', 'code', 'language'], strict),
    tool('sandbox_run_command', 'Run a program (not a shell line) in a started sandbox.', {
      sandbox, command: string('Program to run'), args: strings('Arguments'),
    }, ['sandbox', 'command'], strict),
    tool('sandbox_get_metrics', 'Status and resource usage of sandboxes, running or not.', { sandbox: string('Optional sandbox name') }, [], strict),
  ]
}

const PROMPTS = {
  create_python_sandbox: { description: 'Create a Python development sandbox', fallback: 'python-sandbox', label: 'Python', image: 'microsandbox/python' },
  create_node_sandbox: { description: 'Create a Node.js development sandbox', fallback: 'node-sandbox', label: 'Node.js', image: 'microsandbox/node' },
} as const

/** The two prompts of prompts/list. */
export function mcpPrompts(strict: boolean): OutValue[] {
  return Object.entries(PROMPTS).map(([name, p]) => ({
    name,
    description: p.description,
    arguments: [
      { name: 'sandbox_name', description: 'Name for the new sandbox', required: true },
      ...(strict ? [{ name: 'namespace', description: 'Namespace for the sandbox', required: true }] : []),
    ],
  }))
}

/** prompts/get: the prompt text for one sandbox name. */
export function mcpPrompt(params: JsonValue): OutValue {
  if (!isObject(params)) throw new McpMethodError('Validation error: Request parameters must be an object')
  const name = params.name
  if (typeof name !== 'string') throw new McpMethodError("Validation error: Missing required 'name' parameter")
  if (!Object.hasOwn(PROMPTS, name)) throw new McpMethodError(`Resource not found: Prompt '${name}' not found`)
  const p = PROMPTS[name as keyof typeof PROMPTS]
  const args = params.arguments
  const given = isObject(args) && typeof args.sandbox_name === 'string' ? args.sandbox_name : p.fallback
  const body = `Create a ${p.label} sandbox named '${given}' using the sandbox_start tool with the following configuration:\n\n`
    + `- Image: ${p.image}\n- Memory: 512 MiB\n- CPUs: 1\n- Working directory: /workspace\n\n`
    + `This gives a ${p.label} environment ready to run code.`
  return { description: p.description, messages: [{ role: 'user', content: { type: 'text', text: body } }] }
}
