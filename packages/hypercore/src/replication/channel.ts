/**
 * What replication needs from the transport: one protomux channel per core and peer, carrying the
 * messages of `messages.ts` by type index. The protomux glue (`protocol.ts`) implements it; keeping
 * it this small keeps the protocol logic independent of the mux.
 */
import type { MESSAGE_TYPES } from './messages.ts'

export type MessageType = (typeof MESSAGE_TYPES)[keyof typeof MESSAGE_TYPES]

export interface ReplicationChannel {
  /** Sends `message` as message type `type`. */
  send(type: MessageType, message: unknown): void
  /** Batches the following sends into one frame until `uncork`. */
  cork(): void
  uncork(): void
  /** False while the stream's write buffer is full (what was sent waits in it). */
  readonly drained: boolean
  /** Closes this core's channel (the stream stays up for other cores). */
  close(): void
  /** Drops the peer: destroys the whole stream with `err`. */
  destroy(err: Error): void
  /** The secret-stream session this channel runs on. */
  readonly isInitiator: boolean
  readonly handshakeHash: Uint8Array
  readonly remotePublicKey: Uint8Array | null
}
