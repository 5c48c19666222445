import { createStorage } from 'unstorage'
import redisDriver from 'unstorage/drivers/redis'
import { startRedis, type RedisServer } from '../helpers/redis.ts'
import { testSessionStore } from './conformance.ts'

let server: RedisServer | undefined

testSessionStore('redis', {
  createStorage: async () => {
    server = await startRedis()
    return createStorage({ driver: redisDriver({ url: server.url, maxRetriesPerRequest: 1 }) })
  },
  cleanup: async () => {
    await server?.stop()
  },
})
