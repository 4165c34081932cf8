/**
 * `@orchard/corestore`: many hypercores in one storage root, compatible with corestore 7.
 *
 * An app rarely has one core: a drive has two, an autobase one per writer plus views. A
 * {@link Corestore} keeps them all in one `@orchard/storage` root (memory, IndexedDB, files) and
 * gives each a name: the key pair of `store.get({ name })` derives from the store's primary key
 * (generated on first open and kept in the root), its namespace and the name — byte for byte as
 * corestore 7 derives it, so the same primary key gives the same cores here and in Node. Opening a
 * core twice shares one core; `namespace(name)` scopes names (chainable); `session()` is a view
 * with its own lifetime.
 *
 * `replicate` runs one replication stream for the whole store: the cores in use join it, cores
 * opened later join as they open, and when the remote asks for a core (by discovery key) that the
 * root holds, it is opened on demand. A remote asking for a core we do not hold learns nothing: no
 * channel opens and nothing is created.
 *
 * - {@link Corestore}: the store.
 * - {@link deriveKeyPair}, {@link childNamespace}, {@link DEFAULT_NAMESPACE}: corestore 7's key
 *   derivation, for tools that need keys without a store.
 *
 * @module \@orchard/corestore
 */
export {
  Corestore,
  type CorestoreEvents,
  type CorestoreGetOptions,
  type CorestoreOptions,
  type KeyInput,
  type ManifestInput,
  type StorageInput
} from './corestore.ts'
export {
  childNamespace,
  corestoreNamespace,
  DEFAULT_NAMESPACE,
  deriveKeyPair,
  deriveSeed,
  type Name,
  signerCoreKey,
  signerManifest
} from './keys.ts'
