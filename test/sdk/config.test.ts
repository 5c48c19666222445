import { describe, expect, it } from 'vitest'
import {
  CONFIG_DEFAULTS, configFromEnv, formatVolumeMapping, lookupTemplate, parseHttpApiKeys, parseServiceEnv, parseStorage,
  parseVolumeMappings, resolveConfig, splitVolumeMappings, type WrapperConfigInput,
} from '../../src/config.ts'
import { isSandboxError, type SandboxError } from '../../src/errors.ts'

/** Runs `fn`, expects a CONFIGURATION_ERROR and returns it. */
function configErrorOf(fn: () => unknown): SandboxError {
  try {
    fn()
  } catch (error) {
    expect(isSandboxError(error)).toBe(true)
    const e = error as SandboxError
    expect(e.code).toBe('CONFIGURATION_ERROR')
    expect(e.status).toBe(500)
    return e
  }
  throw new Error('expected a CONFIGURATION_ERROR, nothing was thrown')
}

const fromEnv = (env: Record<string, string | undefined>) => resolveConfig(configFromEnv(env))

describe('defaults', () => {
  it('an empty env and an empty input give the same, documented defaults', () => {
    const config = resolveConfig({})
    expect(fromEnv({})).toEqual(config)
    expect(config).toEqual({
      serverUrl: 'http://127.0.0.1:5555',
      apiKey: undefined,
      namespace: 'default',
      sessionTimeout: 1800,
      maxConcurrentSessions: 10,
      cleanupInterval: 60,
      orphanCleanupInterval: 600,
      orphanGracePeriod: 300,
      defaultFlavor: 'small',
      sandboxStartTimeout: 180,
      defaultExecutionTimeout: 300,
      maxTotalMemoryMb: undefined,
      sharedVolumeMappings: [],
      volumeMappings: [],
      enableLruEviction: true,
      servers: ['http://127.0.0.1:5555'],
      templates: {
        python: { image: 'microsandbox/python', language: 'python' },
        node: { image: 'microsandbox/node', language: 'nodejs' },
      },
      templateAliases: { nodejs: 'node', javascript: 'node' },
      onMissingSession: 'create',
      sandboxPrefix: 'msbe',
      logLevel: 'info',
    })
  })

  it('blank variables mean the default', () => {
    const blank = Object.fromEntries([
      'MSB_SERVER_URL', 'MSB_API_KEY', 'MSB_NAMESPACE', 'MSB_SESSION_TIMEOUT', 'MSB_MAX_SESSIONS', 'MSB_CLEANUP_INTERVAL',
      'MSB_ORPHAN_CLEANUP_INTERVAL', 'MSB_ORPHAN_GRACE_PERIOD', 'MSB_DEFAULT_FLAVOR', 'MSB_SANDBOX_START_TIMEOUT',
      'MSB_EXECUTION_TIMEOUT', 'MSB_MAX_TOTAL_MEMORY_MB', 'MSB_SHARED_VOLUME_PATH', 'MSB_ENABLE_LRU_EVICTION', 'MSB_SERVERS',
      'MSB_ON_MISSING_SESSION', 'MSB_SANDBOX_PREFIX', 'MSB_LOG_LEVEL', 'MICROSANDBOX_PYTHON_IMAGE', 'MSB_TEMPLATES',
    ].map((name) => [name, '  ']))
    expect(configFromEnv(blank)).toEqual({})
    expect(fromEnv(blank)).toEqual(resolveConfig())
  })

  it('keeps every default in one exported object', () => {
    expect(CONFIG_DEFAULTS.sessionTimeout).toBe(resolveConfig().sessionTimeout)
    expect(CONFIG_DEFAULTS.defaultExecutionTimeout).toBe(resolveConfig().defaultExecutionTimeout)
  })
})

describe('configFromEnv: every variable', () => {
  it('reads each variable into its field', () => {
    const config = fromEnv({
      MSB_SERVER_URL: 'https://sandbox.example.com:8443/',
      MSB_API_KEY: ' msb_abc.def.ghi ',
      MSB_NAMESPACE: 'team-a',
      MSB_SESSION_TIMEOUT: '900',
      MSB_MAX_SESSIONS: ' 4 ',
      MSB_CLEANUP_INTERVAL: '30',
      MSB_ORPHAN_CLEANUP_INTERVAL: '120',
      MSB_ORPHAN_GRACE_PERIOD: '0',
      MSB_DEFAULT_FLAVOR: ' Medium ',
      MSB_SANDBOX_START_TIMEOUT: '12.5',
      MSB_EXECUTION_TIMEOUT: '60',
      MSB_MAX_TOTAL_MEMORY_MB: '8192',
      MSB_SHARED_VOLUME_PATH: './data:/workspace,/srv/ref:/ref:ro',
      MSB_ENABLE_LRU_EVICTION: 'off',
      MSB_SERVERS: 'http://a:5555, http://b:5555/',
      MSB_ON_MISSING_SESSION: 'ERROR',
      MSB_SANDBOX_PREFIX: 'prod_1',
      MSB_LOG_LEVEL: 'Debug',
      MICROSANDBOX_PYTHON_IMAGE: 'microsandbox/python-local:latest',
      MSB_TEMPLATES: '{"deno": {"image": "me/deno", "language": "nodejs"}}',
    })
    expect(config).toMatchObject({
      serverUrl: 'https://sandbox.example.com:8443',
      apiKey: 'msb_abc.def.ghi',
      namespace: 'team-a',
      sessionTimeout: 900,
      maxConcurrentSessions: 4,
      cleanupInterval: 30,
      orphanCleanupInterval: 120,
      orphanGracePeriod: 0,
      defaultFlavor: 'medium',
      sandboxStartTimeout: 12.5,
      defaultExecutionTimeout: 60,
      maxTotalMemoryMb: 8192,
      sharedVolumeMappings: ['./data:/workspace', '/srv/ref:/ref:ro'],
      volumeMappings: [
        { hostPath: './data', containerPath: '/workspace', readOnly: false },
        { hostPath: '/srv/ref', containerPath: '/ref', readOnly: true },
      ],
      enableLruEviction: false,
      servers: ['http://a:5555', 'http://b:5555'],
      onMissingSession: 'error',
      sandboxPrefix: 'prod_1',
      logLevel: 'debug',
    })
    expect(config.templates).toEqual({
      python: { image: 'microsandbox/python-local:latest', language: 'python' },
      node: { image: 'microsandbox/node', language: 'nodejs' },
      deno: { image: 'me/deno', language: 'nodejs' },
    })
  })

  it('accepts every spelling of a boolean, case-insensitive', () => {
    for (const word of ['true', '1', 'yes', 'on', 'enabled', 'TRUE', ' Yes ']) {
      expect(configFromEnv({ MSB_ENABLE_LRU_EVICTION: word }).enableLruEviction).toBe(true)
    }
    for (const word of ['false', '0', 'no', 'off', 'disabled', 'Disabled']) {
      expect(configFromEnv({ MSB_ENABLE_LRU_EVICTION: word }).enableLruEviction).toBe(false)
    }
  })

  it('reads warning as warn and every log level', () => {
    for (const level of ['debug', 'info', 'warn', 'error'] as const) expect(configFromEnv({ MSB_LOG_LEVEL: level }).logLevel).toBe(level)
    expect(configFromEnv({ MSB_LOG_LEVEL: 'WARNING' }).logLevel).toBe('warn')
  })

  it('uses the first of MSB_SERVERS as serverUrl when MSB_SERVER_URL is unset', () => {
    expect(fromEnv({ MSB_SERVERS: 'http://b:1,http://c:2' }).serverUrl).toBe('http://b:1')
  })

  it('lets MSB_TEMPLATES override MICROSANDBOX_PYTHON_IMAGE', () => {
    const config = fromEnv({ MICROSANDBOX_PYTHON_IMAGE: 'a/py', MSB_TEMPLATES: '{"Python": {"image": "b/py", "language": "python"}}' })
    expect(config.templates.python).toEqual({ image: 'b/py', language: 'python' })
  })
})

describe('configFromEnv: the seed messages, naming the variable and the value', () => {
  const cases: Array<[Record<string, string>, string, string, unknown]> = [
    [{ MSB_MAX_SESSIONS: '10.5' }, "MSB_MAX_SESSIONS must be a valid integer, got '10.5'", 'maxConcurrentSessions', '10.5'],
    [{ MSB_MAX_SESSIONS: '0' }, 'MSB_MAX_SESSIONS must be a positive integer, got 0', 'maxConcurrentSessions', '0'],
    [{ MSB_SESSION_TIMEOUT: 'abc' }, "MSB_SESSION_TIMEOUT must be a valid integer, got 'abc'", 'sessionTimeout', 'abc'],
    [{ MSB_SESSION_TIMEOUT: '-5' }, 'MSB_SESSION_TIMEOUT must be a positive integer, got -5', 'sessionTimeout', '-5'],
    [{ MSB_CLEANUP_INTERVAL: '1e3' }, "MSB_CLEANUP_INTERVAL must be a valid integer, got '1e3'", 'cleanupInterval', '1e3'],
    [{ MSB_ORPHAN_CLEANUP_INTERVAL: '0' }, 'MSB_ORPHAN_CLEANUP_INTERVAL must be a positive integer, got 0', 'orphanCleanupInterval', '0'],
    [{ MSB_ORPHAN_GRACE_PERIOD: '-1' }, 'MSB_ORPHAN_GRACE_PERIOD must be a non-negative integer, got -1', 'orphanGracePeriod', '-1'],
    [{ MSB_EXECUTION_TIMEOUT: '5m' }, "MSB_EXECUTION_TIMEOUT must be a valid integer, got '5m'", 'defaultExecutionTimeout', '5m'],
    [{ MSB_EXECUTION_TIMEOUT: '99999999999' }, 'MSB_EXECUTION_TIMEOUT must be at most 2147483, got 99999999999', 'defaultExecutionTimeout', '99999999999'],
    [{ MSB_MAX_TOTAL_MEMORY_MB: 'lots' }, "MSB_MAX_TOTAL_MEMORY_MB must be a valid integer, got 'lots'", 'maxTotalMemoryMb', 'lots'],
    [{ MSB_SANDBOX_START_TIMEOUT: 'abc' }, "MSB_SANDBOX_START_TIMEOUT must be a valid number, got 'abc'", 'sandboxStartTimeout', 'abc'],
    [{ MSB_SANDBOX_START_TIMEOUT: '0' }, 'MSB_SANDBOX_START_TIMEOUT must be a positive number, got 0.0', 'sandboxStartTimeout', '0'],
    [{ MSB_SANDBOX_START_TIMEOUT: '-1.5' }, 'MSB_SANDBOX_START_TIMEOUT must be a positive number, got -1.5', 'sandboxStartTimeout', '-1.5'],
    [{ MSB_SANDBOX_START_TIMEOUT: 'inf' }, "MSB_SANDBOX_START_TIMEOUT must be a valid number, got 'inf'", 'sandboxStartTimeout', 'inf'],
    [{ MSB_ENABLE_LRU_EVICTION: 'Maybe' },
      "MSB_ENABLE_LRU_EVICTION must be a valid boolean value (true/false, 1/0, yes/no, on/off, enabled/disabled), got 'maybe'",
      'enableLruEviction', 'Maybe'],
    [{ MSB_DEFAULT_FLAVOR: 'X' }, "Invalid MSB_DEFAULT_FLAVOR 'x'. Valid options are: small, medium, large", 'defaultFlavor', 'x'],
    [{ MSB_SERVER_URL: 'ftp://host' }, 'Invalid server URL format: ftp://host. Must start with http:// or https://', 'serverUrl', 'ftp://host'],
    [{ MSB_SERVER_URL: '127.0.0.1:5555' }, 'Invalid server URL format: 127.0.0.1:5555. Must start with http:// or https://', 'serverUrl', '127.0.0.1:5555'],
    [{ MSB_SERVERS: 'http://a:1,a:2' }, 'Invalid server URL format: a:2. Must start with http:// or https://', 'servers', 'a:2'],
    [{ MSB_NAMESPACE: '-bad' }, 'MSB_NAMESPACE may contain only letters, digits', 'namespace', '-bad'],
    [{ MSB_NAMESPACE: 'a'.repeat(64) }, 'MSB_NAMESPACE must be at most 63 characters', 'namespace', 'a'.repeat(64)],
    [{ MSB_SANDBOX_PREFIX: 'has space' }, 'MSB_SANDBOX_PREFIX may contain only letters, digits', 'sandboxPrefix', 'has space'],
    [{ MSB_SANDBOX_PREFIX: 'p'.repeat(21) }, 'MSB_SANDBOX_PREFIX must be at most 20 characters', 'sandboxPrefix', 'p'.repeat(21)],
    [{ MSB_ON_MISSING_SESSION: 'recreate' }, "MSB_ON_MISSING_SESSION must be one of create, error, got 'recreate'", 'onMissingSession', 'recreate'],
    [{ MSB_LOG_LEVEL: 'verbose' }, "MSB_LOG_LEVEL must be one of debug, info, warn, error, got 'verbose'", 'logLevel', 'verbose'],
    [{ MICROSANDBOX_PYTHON_IMAGE: 'my image' }, "MICROSANDBOX_PYTHON_IMAGE must not contain whitespace, got 'my image'", 'templates', 'my image'],
    [{ MSB_TEMPLATES: '{nope' }, 'MSB_TEMPLATES must be a JSON object', 'templates', '{nope'],
    [{ MSB_TEMPLATES: '["a"]' }, 'MSB_TEMPLATES must be a JSON object', 'templates', '["a"]'],
    [{ MSB_TEMPLATES: '{"ruby": {"image": "me/ruby", "language": "ruby"}}' },
      "MSB_TEMPLATES.ruby.language must be one of python, nodejs, node, javascript, got 'ruby'", 'templates', { image: 'me/ruby', language: 'ruby' }],
    [{ MSB_TEMPLATES: '{"x": {"language": "python"}}' }, 'MSB_TEMPLATES.x.image', 'templates', { language: 'python' }],
    [{ MSB_TEMPLATES: '{"bad name": {"image": "a", "language": "python"}}' }, 'template names must be', 'templates', 'bad name'],
  ]
  for (const [env, message, field, value] of cases) {
    it(`${Object.keys(env)[0]}=${JSON.stringify(Object.values(env)[0]).slice(0, 40)}`, () => {
      const error = configErrorOf(() => configFromEnv(env))
      expect(error.message).toContain(message)
      expect(error.details).toMatchObject({ field, value })
      expect(error.details?.variable).toBe(Object.keys(env)[0])
      expect(typeof error.details?.expected).toBe('string')
    })
  }

  it('never puts the API key in a message or details', () => {
    const secret = 'msb_top secret'
    const error = configErrorOf(() => configFromEnv({ MSB_API_KEY: secret }))
    expect(error.message).toContain('MSB_API_KEY')
    expect(JSON.stringify(error.toJSON())).not.toContain('top secret')
    expect(error.details).not.toHaveProperty('value')
  })
})

describe('resolveConfig: programmatic configs are validated', () => {
  const cases: Array<[WrapperConfigInput, string, string]> = [
    [{ serverUrl: 'localhost:5555' }, 'Invalid server URL format: localhost:5555. Must start with http:// or https://', 'serverUrl'],
    [{ serverUrl: 'http://' }, 'serverUrl is not a valid URL', 'serverUrl'],
    [{ maxConcurrentSessions: 0 }, 'maxConcurrentSessions must be a positive integer, got 0', 'maxConcurrentSessions'],
    [{ maxConcurrentSessions: 2.5 }, 'maxConcurrentSessions must be a valid integer, got 2.5', 'maxConcurrentSessions'],
    [{ sessionTimeout: Number.NaN }, 'sessionTimeout must be a valid integer', 'sessionTimeout'],
    [{ defaultExecutionTimeout: -1 }, 'defaultExecutionTimeout must be a positive integer, got -1', 'defaultExecutionTimeout'],
    [{ sandboxStartTimeout: 0 }, 'sandboxStartTimeout must be a positive number, got 0', 'sandboxStartTimeout'],
    [{ sandboxStartTimeout: Number.POSITIVE_INFINITY }, 'sandboxStartTimeout must be a valid number', 'sandboxStartTimeout'],
    [{ orphanGracePeriod: -1 }, 'orphanGracePeriod must be a non-negative integer, got -1', 'orphanGracePeriod'],
    [{ defaultFlavor: 'huge' as 'small' }, "Invalid defaultFlavor 'huge'. Valid options are: small, medium, large", 'defaultFlavor'],
    [{ enableLruEviction: 'yes' as unknown as boolean }, 'enableLruEviction must be a valid boolean value', 'enableLruEviction'],
    [{ namespace: '' }, 'namespace must not be empty', 'namespace'],
    [{ sandboxPrefix: '_x' }, 'sandboxPrefix may contain only letters, digits', 'sandboxPrefix'],
    [{ onMissingSession: 'ignore' as 'create' }, 'onMissingSession must be one of create, error', 'onMissingSession'],
    [{ logLevel: 'trace' as 'info' }, 'logLevel must be one of debug, info, warn, error', 'logLevel'],
    [{ servers: ['http://a:1', 'b:2'] }, 'Invalid server URL format: b:2', 'servers'],
    [{ servers: 'http://a:1' as unknown as string[] }, 'servers must be a list of http:// or https:// URLs', 'servers'],
    [{ sharedVolumeMappings: ['/a'] }, 'Invalid volume mapping at position 0 in sharedVolumeMappings', 'sharedVolumeMappings'],
    [{ templates: { r: { image: '', language: 'python' } } }, 'templates.r.image must not be empty', 'templates'],
    [{ templates: [] as unknown as Record<string, never> }, 'templates must be an object', 'templates'],
    [{ templateAliases: { rb: 'ruby' } }, "templateAliases.rb points to an unknown template 'ruby'", 'templateAliases'],
    [{ templateAliases: { python: 'node' } }, 'templateAliases.python has the name of a template', 'templateAliases'],
  ]
  for (const [input, message, field] of cases) {
    it(`${field}: ${message.slice(0, 50)}`, () => {
      const error = configErrorOf(() => resolveConfig(input))
      expect(error.message).toContain(message)
      expect(error.details?.field).toBe(field)
      expect(typeof error.details?.expected).toBe('string')
    })
  }

  it('cleanup interval must be less than the session timeout (seed message)', () => {
    const error = configErrorOf(() => resolveConfig({ cleanupInterval: 120, sessionTimeout: 120 }))
    expect(error.message).toBe('Cleanup interval (120s) must be less than session timeout (120s)')
    expect(error.details).toMatchObject({ field: 'cleanupInterval', variable: 'MSB_CLEANUP_INTERVAL', value: 120 })
    const fromVars = configErrorOf(() => fromEnv({ MSB_CLEANUP_INTERVAL: '100', MSB_SESSION_TIMEOUT: '50' }))
    expect(fromVars.message).toBe('Cleanup interval (100s) must be less than session timeout (50s)')
  })

  it("max total memory must hold the default flavor's memory (seed message)", () => {
    const error = configErrorOf(() => resolveConfig({ maxTotalMemoryMb: 512 }))
    expect(error.message).toBe('Max total memory (512MB) is less than minimum needed for default flavor (1024MB)')
    expect(error.details).toMatchObject({ field: 'maxTotalMemoryMb', variable: 'MSB_MAX_TOTAL_MEMORY_MB', value: 512 })
    const large = configErrorOf(() => resolveConfig({ maxTotalMemoryMb: 2048, defaultFlavor: 'large' }))
    expect(large.message).toBe('Max total memory (2048MB) is less than minimum needed for default flavor (4096MB)')
    expect(resolveConfig({ maxTotalMemoryMb: 1024 }).maxTotalMemoryMb).toBe(1024)
  })

  it('never puts the API key in a message or details', () => {
    const error = configErrorOf(() => resolveConfig({ apiKey: 'msb_a\nb' }))
    expect(error.message).toBe('apiKey must not contain whitespace or control characters')
    expect(JSON.stringify(error.toJSON())).not.toContain('msb_a')
  })

  it('treats an empty API key as none, and ignores keys of the wrapper options', () => {
    expect(resolveConfig({ apiKey: '' }).apiKey).toBeUndefined()
    const input = { serverUrl: 'http://x:1', storage: {}, plugins: [] } as WrapperConfigInput
    expect(resolveConfig(input).serverUrl).toBe('http://x:1')
  })

  it('treats undefined fields as unset', () => {
    expect(resolveConfig({ namespace: undefined, maxConcurrentSessions: undefined })).toEqual(resolveConfig())
  })

  it('rejects a config that is not an object', () => {
    configErrorOf(() => resolveConfig(42 as unknown as WrapperConfigInput))
  })

  it('servers default to [serverUrl], are normalized and de-duplicated', () => {
    expect(resolveConfig({ serverUrl: 'http://h:1/' }).servers).toEqual(['http://h:1'])
    expect(resolveConfig({ servers: ['http://a:1/', 'http://a:1', 'http://b:1'] }).servers).toEqual(['http://a:1', 'http://b:1'])
  })

  it('merges user templates and aliases over the built-ins; lookupTemplate resolves names and aliases', () => {
    const config = resolveConfig({
      templates: { Ruby: { image: 'me/ruby', language: 'python' }, python: { image: 'me/python', language: 'python' } },
      templateAliases: { rb: 'ruby' },
    })
    expect(config.templates.ruby).toEqual({ image: 'me/ruby', language: 'python' })
    expect(config.templates.python).toEqual({ image: 'me/python', language: 'python' })
    expect(config.templateAliases).toEqual({ nodejs: 'node', javascript: 'node', rb: 'ruby' })
    expect(lookupTemplate(config, 'JavaScript')).toEqual({ name: 'node', image: 'microsandbox/node', language: 'nodejs' })
    expect(lookupTemplate(config, 'nodejs')?.name).toBe('node')
    expect(lookupTemplate(config, 'RB')?.image).toBe('me/ruby')
    expect(lookupTemplate(config, 'cobol')).toBeUndefined()
    expect(lookupTemplate(config, '__proto__')).toBeUndefined()
    expect(lookupTemplate(config, 'toString')).toBeUndefined()
  })

  it('accepts the volume mappings as one string, the way the env gives them', () => {
    const config = resolveConfig({ sharedVolumeMappings: '["./a:/a", "C:\\\\b:/b:ro"]' })
    expect(config.sharedVolumeMappings).toEqual(['./a:/a', 'C:\\b:/b:ro'])
    expect(config.volumeMappings[1]).toEqual({ hostPath: 'C:\\b', containerPath: '/b', readOnly: true })
  })
})

describe('parseVolumeMappings', () => {
  it('reads a comma list, a single value, a JSON array and a list', () => {
    const expected = [
      { hostPath: './data', containerPath: '/workspace', readOnly: false },
      { hostPath: '/srv', containerPath: '/srv', readOnly: true },
    ]
    expect(parseVolumeMappings('./data:/workspace, /srv:/srv:ro')).toEqual(expected)
    expect(parseVolumeMappings('["./data:/workspace", "/srv:/srv:ro"]')).toEqual(expected)
    expect(parseVolumeMappings(['./data:/workspace', ' /srv:/srv:RO '])).toEqual(expected)
    expect(parseVolumeMappings('./data:/workspace')).toEqual([expected[0]])
    expect(parseVolumeMappings('/a:/b:rw')).toEqual([{ hostPath: '/a', containerPath: '/b', readOnly: false }])
  })

  it('keeps Windows drive letters with the host path', () => {
    expect(parseVolumeMappings('C:\\data:/data')).toEqual([{ hostPath: 'C:\\data', containerPath: '/data', readOnly: false }])
    expect(parseVolumeMappings('C:/data:/data:ro')).toEqual([{ hostPath: 'C:/data', containerPath: '/data', readOnly: true }])
    expect(parseVolumeMappings('["D:\\\\x y\\\\z:/mnt/z:ro", "e:/q:/q"]')).toEqual([
      { hostPath: 'D:\\x y\\z', containerPath: '/mnt/z', readOnly: true },
      { hostPath: 'e:/q', containerPath: '/q', readOnly: false },
    ])
  })

  it('skips blank items, and blank input is no mapping', () => {
    expect(parseVolumeMappings('')).toEqual([])
    expect(parseVolumeMappings('   ')).toEqual([])
    expect(parseVolumeMappings('[]')).toEqual([])
    expect(parseVolumeMappings('/a:/a,, ,/b:/b')).toHaveLength(2)
    expect(splitVolumeMappings(' /a:/a , /b:/b:ro ')).toEqual(['/a:/a', '/b:/b:ro'])
  })

  it('formats a mapping back for the server', () => {
    expect(formatVolumeMapping({ hostPath: 'C:\\d', containerPath: '/d', readOnly: true })).toBe('C:\\d:/d:ro')
    expect(formatVolumeMapping({ hostPath: '/h', containerPath: '/c', readOnly: false })).toBe('/h:/c')
  })

  const errors: Array<[string, string]> = [
    ['{"a": "/x:/y"}', "MSB_SHARED_VOLUME_PATH must be an array of strings, not a JSON object. Got: '{\"a\": \"/x:/y\"}'\nExample: ['./data:/workspace', './shared:/sandbox/shared']"],
    ['["/a:/b"', `MSB_SHARED_VOLUME_PATH appears to be JSON array but is malformed: missing closing bracket. Got: '["/a:/b"'`],
    ['[["/a:/b"]', `MSB_SHARED_VOLUME_PATH has mismatched brackets. Got: '[["/a:/b"]'`],
    ['[/a:/b]', 'Invalid JSON format in MSB_SHARED_VOLUME_PATH: '],
    ['[1, "/a:/b"]', "MSB_SHARED_VOLUME_PATH item 0 must be a string, got int. All volume mappings must be strings like 'host_path:container_path'"],
    ['["/a:/b", null]', 'MSB_SHARED_VOLUME_PATH item 1 must be a string, got NoneType.'],
    ['["/a:/b", {"h": 1}]', 'MSB_SHARED_VOLUME_PATH item 1 must be a string, got dict.'],
    ['/a:/a,/nocolon', "Invalid volume mapping at position 1 in MSB_SHARED_VOLUME_PATH: Invalid volume mapping format: /nocolon. Expected 'host_path:container_path'\nGot: '/nocolon'\nExpected format: 'host_path:container_path[:ro|:rw]' (e.g., './data:/workspace')"],
    [':/c', 'Invalid volume mapping format: :/c. Both paths must be non-empty'],
    ['/h:', 'Invalid volume mapping format: /h:. Both paths must be non-empty'],
    ['/h:relative', "Container path must be absolute (start with '/'), got 'relative'"],
    ['/h:/c:rx', "Invalid volume mapping mode 'rx' in /h:/c:rx"],
    ['/h:/c:ro:x', 'Invalid volume mapping format: /h:/c:ro:x.'],
    ['C:\\data', 'Invalid volume mapping format: C:\\data.'],
  ]
  for (const [value, message] of errors) {
    it(`rejects ${value}`, () => {
      const error = configErrorOf(() => parseVolumeMappings(value))
      expect(error.message).toContain(message)
      expect(error.details).toMatchObject({ field: 'sharedVolumeMappings', variable: 'MSB_SHARED_VOLUME_PATH' })
      expect(typeof error.details?.expected).toBe('string')
    })
  }

  it('adds helpful suggestions to JSON errors', () => {
    expect(configErrorOf(() => parseVolumeMappings('[/a:/b]')).message).toContain('Strings in JSON arrays must be quoted with double quotes')
    expect(configErrorOf(() => parseVolumeMappings('["/a:/b]')).message).toContain('Check that all quotes are properly paired')
  })

  it('names the variable it was given', () => {
    const error = configErrorOf(() => parseVolumeMappings('/x', 'MY_VOLUMES'))
    expect(error.message).toContain('Invalid volume mapping at position 0 in MY_VOLUMES')
    expect(error.details?.variable).toBe('MY_VOLUMES')
  })

  it('configFromEnv reports volume errors of MSB_SHARED_VOLUME_PATH', () => {
    const error = configErrorOf(() => configFromEnv({ MSB_SHARED_VOLUME_PATH: '/a' }))
    expect(error.message).toContain('Invalid volume mapping at position 0 in MSB_SHARED_VOLUME_PATH')
    expect(error.details?.value).toBe('/a')
  })
})

describe('parseServiceEnv', () => {
  it('has the documented defaults', () => {
    expect(parseServiceEnv({})).toEqual({ storage: { kind: 'memory' }, httpApiKeys: [], port: 8775, host: '127.0.0.1' })
    expect(parseServiceEnv({ MSB_STORAGE: ' ', MSB_HTTP_API_KEYS: '', PORT: '', HOST: '' })).toEqual(parseServiceEnv({}))
  })

  it('reads MSB_STORAGE: memory, fs:<dir>, redis:// and rediss://', () => {
    expect(parseStorage('memory')).toEqual({ kind: 'memory' })
    expect(parseStorage('fs:./.sessions')).toEqual({ kind: 'fs', dir: './.sessions' })
    expect(parseStorage('redis://localhost:6379/0')).toEqual({ kind: 'redis', url: 'redis://localhost:6379/0' })
    expect(parseStorage('rediss://:pw@cache.example.com:6380')).toEqual({ kind: 'redis', url: 'rediss://:pw@cache.example.com:6380' })
  })

  it('rejects other storages, naming the variable but never a Redis password', () => {
    const other = configErrorOf(() => parseServiceEnv({ MSB_STORAGE: 'mongodb://user:hunter2@db' }))
    expect(other.message).toContain("Invalid MSB_STORAGE 'mongodb://***@db'")
    expect(other.details).toMatchObject({ variable: 'MSB_STORAGE' })
    expect(JSON.stringify(other.toJSON())).not.toContain('hunter2')
    expect(configErrorOf(() => parseStorage('fs:')).message).toContain("MSB_STORAGE 'fs:' needs a directory")
    expect(JSON.stringify(configErrorOf(() => parseStorage('redis://:hunter2@')).toJSON())).not.toContain('hunter2')
  })

  it('reads MSB_HTTP_API_KEYS as name:secret pairs', () => {
    expect(parseHttpApiKeys('admin:s3cret, ci:a:b ,')).toEqual([
      { name: 'admin', secret: 's3cret' },
      { name: 'ci', secret: 'a:b' },
    ])
  })

  const keyErrors: Array<[string, string]> = [
    ['admin', "MSB_HTTP_API_KEYS entry 0 ('admin') has an empty secret"],
    ['admin:', "MSB_HTTP_API_KEYS entry 0 ('admin') has an empty secret"],
    ['bad name:x1', 'MSB_HTTP_API_KEYS entry 0 must be name:secret with a name of A-Z a-z 0-9 _ -'],
    [':x1', 'MSB_HTTP_API_KEYS entry 0 must be name:secret'],
    ['a:x1,a:x2', "MSB_HTTP_API_KEYS names 'a' more than once"],
    ['a:same,b:same', "MSB_HTTP_API_KEYS entry 1 ('b') reuses the secret of another key"],
  ]
  for (const [value, message] of keyErrors) {
    it(`rejects MSB_HTTP_API_KEYS=${value} without showing a secret`, () => {
      const error = configErrorOf(() => parseServiceEnv({ MSB_HTTP_API_KEYS: value }))
      expect(error.message).toContain(message)
      expect(error.details).toMatchObject({ variable: 'MSB_HTTP_API_KEYS' })
      for (const secret of ['x1', 'x2', 'same']) expect(JSON.stringify(error.toJSON())).not.toContain(secret)
    })
  }

  it('reads PORT and HOST', () => {
    expect(parseServiceEnv({ PORT: '9000', HOST: '0.0.0.0' })).toMatchObject({ port: 9000, host: '0.0.0.0' })
    expect(parseServiceEnv({ PORT: '0' }).port).toBe(0)
    expect(configErrorOf(() => parseServiceEnv({ PORT: 'http' })).message).toBe("PORT must be a valid integer, got 'http'")
    expect(configErrorOf(() => parseServiceEnv({ PORT: '70000' })).message).toBe('PORT must be between 0 and 65535, got 70000')
    expect(configErrorOf(() => parseServiceEnv({ HOST: 'a b' })).details).toMatchObject({ variable: 'HOST', value: 'a b' })
  })
})
