/** Byte helpers (no Buffer): lexicographic compare, equality, concat — `@orchard/codec`'s. */
export { compareBytes as compare, concatBytes as concat, equalBytes as equals } from '@orchard/codec'
