/**
 * The agent's command line: the agent is compiled once by the sandbox's own python and passed
 * marshalled (base64) on the command line, so start-up skips compiling it and no host file is
 * mounted.
 * @module
 */
import { execFile } from '../exec.ts'
import { RuntimeUnavailableError } from '../types.ts'
import { agentSources } from './sources.ts'

const COMPILE = 'import binascii, marshal, sys; sys.stdout.write(binascii.b2a_base64(marshal.dumps(compile(sys.stdin.read(), "<agent>", "exec")), newline=False).decode())'
const LOADER = 'import binascii, marshal, sys; exec(marshal.loads(binascii.a2b_base64(sys.argv[1])))'

/**
 * Compiles agent.py with `python` (the one sandboxes run) and returns the marshalled code, base64.
 * @example const code = await compileAgent('/usr/bin/python3')
 */
export async function compileAgent(python: string): Promise<string> {
  const result = await execFile(python, ['-I', '-S', '-c', COMPILE], { input: agentSources().agent })
  if (result.code !== 0 || !result.stdout) throw new RuntimeUnavailableError(`${python} could not compile the sandbox agent: ${result.stderr.trim()}`)
  return result.stdout
}

/**
 * The agent's command line inside the sandbox; `config` is its JSON configuration.
 * @example bwrapArgs(layout, mounts, agentCommand('/usr/bin/python3', code, '{"image":"python"}'))
 */
export function agentCommand(python: string, code: string, config: string): string[] {
  return [python, '-I', '-S', '-u', '-c', LOADER, code, config]
}
