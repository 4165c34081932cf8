/**
 * Protocol extensions as a session sees them: named messages to and from the peers of a core,
 * encoded with a value encoding (as hypercore applies its own to extension messages).
 */
import { blockCodec, type ValueEncoding } from '../value-encoding.ts'
import type { Replicator } from './replicator.ts'

/** Options of `registerExtension`. */
export interface ExtensionOptions<M> {
  /** `'binary'` (default), `'utf-8'`, `'json'`, or a codec. */
  encoding?: ValueEncoding
  /** Called with each decoded message from a peer. */
  onmessage?: (message: M, peer: unknown) => void
}

/** A registered protocol extension: named messages to and from this core's peers. */
export interface SessionExtension<M> {
  /** The extension's name (peers must register the same one). */
  readonly name: string
  /** Sends `message` to one peer. */
  send(message: M, peer: unknown): void
  /** Sends `message` to every peer of the core. */
  broadcast(message: M): void
  /** Unregisters the extension. */
  destroy(): void
}

/** Registers extension `name` on `replicator`; a message that does not decode is dropped. */
export function sessionExtension<M>(
  replicator: Replicator,
  name: string,
  handlers: ExtensionOptions<M>
): SessionExtension<M> {
  const codec = blockCodec(handlers.encoding)
  const ext = replicator.registerExtension(name, {
    onmessage: (bytes, peer) => {
      let message: M
      try {
        message = codec.decode(bytes, -1) as M
      } catch {
        return // an undecodable extension message is the extension's problem, not the replication's
      }
      handlers.onmessage?.(message, peer)
    }
  })
  return {
    name,
    send: (message: M, peer: unknown) => ext.send(codec.encode(message), peer as never),
    broadcast: (message: M) => ext.broadcast(codec.encode(message)),
    destroy: () => ext.destroy()
  }
}
