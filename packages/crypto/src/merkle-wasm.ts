/** The WebAssembly hasher. (The kernel lands in the next commit; until then `auto` falls back to js.) */
import type { Hasher } from './types.ts'

export async function loadKernel(): Promise<Hasher> {
  throw new Error('the WASM kernel is not built yet')
}
