/**
 * The bindings of the test Worker (vitest.config.ts, project "workers"), typed by hand because
 * @cloudflare/workers-types is not a dependency: only what the tests touch.
 */
declare module 'cloudflare:workers' {
  /** A KV namespace binding, as far as the tests use it. */
  interface TestKVNamespace {
    get(key: string): Promise<string | null>
    put(key: string, value: string): Promise<void>
    delete(key: string): Promise<void>
    list(options?: { prefix?: string, cursor?: string }): Promise<{ keys: Array<{ name: string }>, list_complete: boolean, cursor?: string }>
  }
  export const env: { SESSIONS: TestKVNamespace }
}
