/** Byte helpers the swarm needs (hex keys for maps, ordering of public keys): `@orchard/codec`'s. */
export { compareBytes as compare, equalBytes as equals, toHex } from '@orchard/codec'
