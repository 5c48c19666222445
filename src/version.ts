/** The package version, reported by `health()` and the HTTP API (kept equal to package.json by a test). */
export const VERSION = '0.1.0'
