/** The known-answer vectors (vector-suite.ts) in Node, on every backend. */
import { beforeAll, describe, expect } from 'vitest'
import * as c from '../src/index.ts'
import { BACKENDS } from './helpers.ts'
import { vectorTests } from './vector-suite.ts'

for (const setup of BACKENDS) {
  describe(`known-answer vectors on the ${setup.label}`, () => {
    beforeAll(async () => {
      await c.ready(setup.options)
      expect([c.backend(), c.primitivesBackend()]).toEqual([setup.backend, setup.primitives])
    })
    vectorTests(c)
  })
}
