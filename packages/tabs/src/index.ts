/**
 * `@orchard/tabs`: one store, used from many tabs and workers with the same API.
 *
 * A browser app is rarely one page: the user opens it in three tabs, or the app moves its data
 * into a worker. An IndexedDB storage root has one writer at a time, and a Hyperbee on a core
 * must have one writer too (two bees on one core would each build the next b-tree on a stale
 * root). So one context holds the store — the owner — and every other context uses it through
 * typed messages, with the same API as in-process:
 *
 * - {@link openSharedStore}: the tabs of an origin elect an owner through Web Locks; the others
 *   are its clients over a BroadcastChannel. When the owner tab closes, another takes over; the
 *   clients re-send what was not acknowledged, applied exactly once; no reload needed.
 * - {@link serveWorker} / {@link connectStore}: the whole stack in a dedicated or shared worker,
 *   a thin client in the page.
 * - {@link openStore}: the store held in this page, with the same API.
 *
 * Every store is a {@link SharedStore} (Corestore's `get`, `namespace`, `ready`, `close`); its
 * cores are {@link SharedCore}s (Hypercore's `append`, `get`, `createReadStream`, `download`,
 * `'append'`, ...) and bees open on them as {@link SharedBee}s (Hyperbee's `put`, `get`, `del`,
 * `batch`, streams, `checkout`, `watch`). Errors from the owner arrive as the same classes
 * (`instanceof` and `code` work).
 *
 * @module \@orchard/tabs
 */
export { SharedBatch } from './batch.ts'
export {
  SharedBee,
  type SharedBeeEvents,
  type SharedBeeGetOptions,
  type SharedBeeOptions,
  type SharedBeeWriteOptions,
  type SharedCheckoutOptions,
  type SharedSubOptions
} from './bee.ts'
export type { Transport } from './connection.ts'
export { SharedCore, type SharedCoreEvents, type SharedCoreOptions, type SharedGetOptions } from './core.ts'
export { SharedDownload } from './download.ts'
export {
  NotSupportedError,
  ProtocolMismatchError,
  StoreClosedError,
  TabsError,
  type TabsErrorCode,
  type WireError
} from './errors.ts'
export { HostSession, StoreHost, type StoreHostOptions } from './host.ts'
export {
  connectStore,
  type MessagePortLike,
  openStore,
  type StoreServer,
  serveStore,
  serveWorker
} from './ports.ts'
export {
  type AppendResult,
  type BeeOp,
  type BeeOpCondition,
  type BeeWriteResult,
  type Call,
  type CoreEvent,
  type CoreInfo,
  type CoreRef,
  type CoreState,
  type HistoryPage,
  type Method,
  type Methods,
  type Name,
  type OwnerItem,
  PROTOCOL_VERSION,
  type RangePage,
  type ReadOptions,
  type Request,
  type Response,
  type UpdateOptions,
  type UpdateResult,
  type WireDiffEntry,
  type WireHistoryEntry,
  type WireHistoryRange,
  type WireNode,
  type WireRange,
  type WriterId
} from './protocol.ts'
export { SharedReadStream } from './read-stream.ts'
export { SharedStore, type SharedStoreEvents, type SharedStoreGetOptions } from './store.ts'
export { openSharedStore, type SharedStoreOptions } from './tabs.ts'
export { SharedWatcher, type SharedWatcherEvents, type SharedWatcherOptions } from './watcher.ts'
