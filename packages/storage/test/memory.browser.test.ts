import { openMemoryStorage } from '../src/index.ts'
import { defineConformanceSuite } from './conformance.ts'

// The memory adapter is isomorphic: the same suite, in Chromium.
defineConformanceSuite('memory (Chromium)', { open: (name, opts) => openMemoryStorage(name, opts) })
