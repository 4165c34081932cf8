/** Byte helpers shared inside the package: `@orchard/codec`'s. */
export { concatBytes as concat } from '@orchard/codec'
