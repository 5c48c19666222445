import { createStorage } from 'unstorage'
import { testSessionStore } from './conformance.ts'

testSessionStore('memory', { createStorage: () => createStorage() })
