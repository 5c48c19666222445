import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createStorage } from 'unstorage'
import fsDriver from 'unstorage/drivers/fs'
import { testSessionStore } from './conformance.ts'

let dir: string | undefined

testSessionStore('fs', {
  createStorage: async () => {
    dir = await mkdtemp(join(tmpdir(), 'msbe-store-'))
    return createStorage({ driver: fsDriver({ base: dir }) })
  },
  cleanup: async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
  },
})
