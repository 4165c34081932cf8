/**
 * Protocol extensions as a session sees them: named messages to and from the peers of a core,
 * encoded with a value encoding (as hypercore applies its own to extension messages).
 */
import { blockCodec, type ValueEncoding } from '../value-encoding.ts'
import type { Replicator } from './replicator.ts'

export interface ExtensionOptions<M> {
  /** `'binary'` (default), `'utf-8'`, `'json'`, or a codec. */
  encoding?: ValueEncoding
  onmessage?: (message: M, peer: unknown) => void
}

export interface SessionExtension<M> {
  readonly name: string
  send(message: M, peer: unknown): void
  broadcast(message: M): void
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
