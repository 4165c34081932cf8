/** Byte helpers shared by the package. */

export { equalBytes as equal } from '@orchard/codec'

/** Appends every item of `items` to `target` (a spread `push(...items)` overflows the stack past ~100k). */
export function pushAll<T>(target: T[], items: readonly T[]): void {
  for (let i = 0; i < items.length; i++) target.push(items[i]!)
}
