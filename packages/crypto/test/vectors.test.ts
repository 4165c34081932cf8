/** The known-answer vectors (vector-suite.ts) in Node, on both backends. */
import { beforeAll, describe } from 'vitest'
import * as c from '../src/index.ts'
import { vectorTests } from './vector-suite.ts'

for (const backend of ['wasm', 'js'] as const) {
  describe(`known-answer vectors on the ${backend} backend`, () => {
    beforeAll(async () => {
      await c.ready({ backend })
    })
    vectorTests(c)
  })
}
