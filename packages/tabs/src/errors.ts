/**
 * Errors across the boundary. An owner's failure reaches the caller in another tab or a worker as
 * the same class it would have been in-process: the owner sends the class family (hypercore,
 * hyperbee, storage, ours), the class name, the message, the code and the other own fields; the
 * caller rebuilds an instance of that class, so `instanceof` and `err.code` work as usual.
 */
import * as bee from '@orchard/hyperbee'
import * as core from '@orchard/hypercore'
import * as storage from '@orchard/storage'

/** The codes a {@link TabsError} carries. */
export type TabsErrorCode = 'STORE_CLOSED' | 'NOT_SUPPORTED' | 'PROTOCOL_MISMATCH'

/** Base class of the errors this package raises itself. */
export class TabsError extends Error {
  /** A stable code to branch on. */
  readonly code: TabsErrorCode

  /** An error of kind `code`; the message is prefixed with the code. */
  constructor(code: TabsErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'TabsError'
    this.code = code
  }
}

/** The shared store was closed before or while the call ran. */
export class StoreClosedError extends TabsError {
  /** A `STORE_CLOSED` error. */
  constructor(message = 'the shared store is closed') {
    super('STORE_CLOSED', message)
    this.name = 'StoreClosedError'
  }
}

/** The call cannot cross to the owner (such as a `cas` inside a shared batch). */
export class NotSupportedError extends TabsError {
  /** A `NOT_SUPPORTED` error with `message`. */
  constructor(message: string) {
    super('NOT_SUPPORTED', message)
    this.name = 'NotSupportedError'
  }
}

/** The other side speaks another version of this package's protocol. */
export class ProtocolMismatchError extends TabsError {
  /** A `PROTOCOL_MISMATCH` error with `message`. */
  constructor(message: string) {
    super('PROTOCOL_MISMATCH', message)
    this.name = 'ProtocolMismatchError'
  }
}

/** An error as it travels between owner and client (structured-clone safe). */
export interface WireError {
  /** Which package's class: `'hypercore'`, `'hyperbee'`, `'storage'`, `'tabs'` or `'other'`. */
  family: string
  /** The class name (`err.name`). */
  name: string
  /** The message as the owner had it. */
  message: string
  /** The other own fields (`code`, `discoveryKey`, `seq`, ...), where they clone. */
  fields: Record<string, unknown>
  /** The owner's stack, for debugging. */
  stack?: string
}

type ErrorClass = { prototype: Error; name: string }

/**
 * The classes that can cross, by family and name. Listed one by one (not by walking the packages'
 * exports) so that a client bundle keeps only the error classes of the packages it uses.
 */
const FAMILIES: Array<[family: string, base: ErrorClass, classes: Record<string, unknown>]> = [
  [
    'hypercore',
    core.HypercoreError,
    {
      HypercoreError: core.HypercoreError,
      AssertionError: core.AssertionError,
      BadArgumentError: core.BadArgumentError,
      InvalidOperationError: core.InvalidOperationError,
      InvalidSignatureError: core.InvalidSignatureError,
      InvalidCapabilityError: core.InvalidCapabilityError,
      InvalidChecksumError: core.InvalidChecksumError,
      InvalidProofError: core.InvalidProofError,
      BlockNotAvailableError: core.BlockNotAvailableError,
      SnapshotNotAvailableError: core.SnapshotNotAvailableError,
      RequestCancelledError: core.RequestCancelledError,
      RequestTimeoutError: core.RequestTimeoutError,
      SessionNotWritableError: core.SessionNotWritableError,
      SessionClosedError: core.SessionClosedError,
      StorageConflictError: core.StorageConflictError,
      StorageEmptyError: core.StorageEmptyError,
      DecodingError: core.DecodingError,
      BlockTooLargeError: core.BlockTooLargeError,
      InvalidManifestError: core.InvalidManifestError,
      InvalidEncryptionKeyError: core.InvalidEncryptionKeyError,
      WriteFailedError: core.WriteFailedError,
      ProtocolError: core.ProtocolError
    }
  ],
  [
    'hyperbee',
    bee.HyperbeeError,
    {
      HyperbeeError: bee.HyperbeeError,
      DecodingError: bee.DecodingError,
      BadArgumentError: bee.BadArgumentError,
      ReadOnlyError: bee.ReadOnlyError,
      BeeClosedError: bee.BeeClosedError,
      BlockNotAvailableError: bee.BlockNotAvailableError,
      InvalidOperationError: bee.InvalidOperationError
    }
  ],
  [
    'storage',
    storage.StorageError,
    {
      StorageError: storage.StorageError,
      StorageLockedError: storage.StorageLockedError,
      StorageQuotaError: storage.StorageQuotaError,
      StorageClosedError: storage.StorageClosedError,
      StorageReadOnlyError: storage.StorageReadOnlyError,
      StorageCorruptError: storage.StorageCorruptError,
      StorageArgumentError: storage.StorageArgumentError
    }
  ],
  ['tabs', TabsError, { TabsError, StoreClosedError, NotSupportedError, ProtocolMismatchError }]
]

/** family → class name → class, from each package's exports. */
let registry: Map<string, Map<string, ErrorClass>> | null = null

function classes(): Map<string, Map<string, ErrorClass>> {
  if (registry !== null) return registry
  registry = new Map()
  for (const [family, base, exports] of FAMILIES) {
    const byName = new Map<string, ErrorClass>()
    for (const [exported, value] of Object.entries(exports)) {
      if (typeof value !== 'function') continue
      const cls = value as ErrorClass
      // instances carry their exported name (`SessionClosedError`, ...) as `err.name`
      if (cls === base || cls.prototype instanceof (base as never)) byName.set(exported, cls)
    }
    registry.set(family, byName)
  }
  return registry
}

function familyOf(err: Error): string {
  for (const [family, base] of FAMILIES) if (err instanceof (base as never)) return family
  return 'other'
}

/** What an error becomes on the wire. */
export function encodeError(err: unknown): WireError {
  if (!(err instanceof Error)) {
    return { family: 'other', name: 'Error', message: String(err), fields: {} }
  }
  const fields: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(err)) {
    if (k === 'cause' || k === 'name' || k === 'message' || k === 'stack') continue
    if (v === null || ['string', 'number', 'boolean'].includes(typeof v) || v instanceof Uint8Array)
      fields[k] = v
  }
  return { family: familyOf(err), name: err.name, message: err.message, fields, stack: err.stack }
}

/** The error a {@link WireError} stands for: an instance of the same class where it is known. */
export function decodeError(wire: WireError): Error {
  const cls = classes().get(wire.family)?.get(wire.name) ?? null
  const err: Error = cls ? Object.create(cls.prototype) : new Error()
  Object.defineProperty(err, 'message', { value: wire.message, writable: true, configurable: true })
  Object.defineProperty(err, 'name', { value: wire.name, writable: true, configurable: true })
  for (const [k, v] of Object.entries(wire.fields)) {
    Object.defineProperty(err, k, { value: v, writable: true, enumerable: true, configurable: true })
  }
  const local = new Error().stack ?? ''
  Object.defineProperty(err, 'stack', {
    value: `${wire.name}: ${wire.message}\n    (raised by the store's owner)\n${local.split('\n').slice(1).join('\n')}`,
    writable: true,
    configurable: true
  })
  return err
}
