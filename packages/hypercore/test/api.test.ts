import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openMemoryStorage } from '@orchard/storage'
import { openFileStorage } from '@orchard/storage/fs'
import { afterAll } from 'vitest'
import { defineApiSuite } from './api-suite.ts'

defineApiSuite('memory', { open: (name) => openMemoryStorage(name) })

const dir = mkdtempSync(join(tmpdir(), 'orchard-hc-api-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
defineApiSuite('files', { open: (name) => openFileStorage(join(dir, name)) })
