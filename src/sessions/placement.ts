/**
 * Placement across several Microsandbox hosts (`MSB_SERVERS`): one client per host, new sessions
 * on the reachable host with the fewest live sessions, hosts that fail marked down until they
 * answer a health probe again.
 * @module
 */
import type { MicrosandboxClient } from '../client/types.ts'
import { createError, isSandboxError } from '../errors.ts'

/** Options of `createPlacement`. */
export interface PlacementOptions {
  servers: string[]
  createClient: (serverUrl: string) => MicrosandboxClient
  now: () => number
  /** Minimum time between two health probes of a host that is down. */
  probeIntervalMs?: number
}

/** Hosts, their clients and their health. */
export interface Placement {
  readonly servers: readonly string[]
  /** The client of a host (also of one no longer configured, for sessions that live there). */
  client(serverUrl: string): MicrosandboxClient
  /** Picks the host of a new session; throws BACKEND_UNAVAILABLE when none answers. */
  choose(liveSessions: ReadonlyMap<string, number>): Promise<string>
  /** Records the outcome of a call: hosts that refuse connections get no new sessions. */
  observe(serverUrl: string, error?: unknown): void
  isDown(serverUrl: string): boolean
}

/**
 * Creates the placement of a wrapper.
 * @example
 * const placement = createPlacement({ servers: ['http://a:5555', 'http://b:5555'], createClient, now: Date.now })
 */
export function createPlacement({ servers, createClient, now, probeIntervalMs = 2000 }: PlacementOptions): Placement {
  const clients = new Map<string, MicrosandboxClient>()
  const down = new Map<string, number>() // host -> time of the last failed contact or probe
  const client = (url: string) => {
    let c = clients.get(url)
    if (!c) clients.set(url, (c = createClient(url)))
    return c
  }
  async function reachable(url: string): Promise<boolean> {
    const since = down.get(url)
    if (since === undefined) return true
    if (now() - since < probeIntervalMs) return false
    try {
      await client(url).health({ timeoutMs: 1500 })
      down.delete(url)
      return true
    } catch {
      down.set(url, now())
      return false
    }
  }
  return {
    servers,
    client,
    async choose(liveSessions) {
      const up: string[] = []
      for (const url of servers) if (await reachable(url)) up.push(url)
      if (up.length === 0) {
        throw createError('BACKEND_UNAVAILABLE', `No sandbox server is reachable (${servers.join(', ')})`, { details: { servers: [...servers] } })
      }
      let best = up[0]!
      for (const url of up) if ((liveSessions.get(url) ?? 0) < (liveSessions.get(best) ?? 0)) best = url
      return best
    },
    observe(url, error) {
      if (error === undefined) down.delete(url)
      else if (isSandboxError(error) && error.code === 'BACKEND_UNAVAILABLE') down.set(url, now())
    },
    isDown: (url) => down.has(url),
  }
}
