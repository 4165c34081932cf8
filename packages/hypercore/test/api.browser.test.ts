import { openIdbStorage } from '@orchard/storage'
import { defineApiSuite } from './api-suite.ts'

defineApiSuite('IndexedDB (Chromium)', { open: (name) => openIdbStorage(name) })
