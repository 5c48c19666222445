/**
 * The in-sandbox programs, read from this folder once and passed on command lines (`python3 -c`,
 * `node -e`), so no host file is mounted into a sandbox.
 * @module
 */
import { readFileSync } from 'node:fs'

/** Source text of the agent (agent.py) and of the Node REPL worker (node-worker.js). */
export interface AgentSources {
  agent: string
  nodeWorker: string
}

let cached: AgentSources | null = null

/**
 * Loads the agent sources (cached after the first call).
 * @example const { agent } = agentSources()
 */
export function agentSources(): AgentSources {
  cached ??= {
    agent: readFileSync(new URL('./agent.py', import.meta.url), 'utf8'),
    nodeWorker: readFileSync(new URL('./node-worker.js', import.meta.url), 'utf8'),
  }
  return cached
}
