/**
 * The relay protocol's frames: one WebSocket binary message is one frame, `uint8 type ‖ body`,
 * where the body is the type's struct in compact-encoding (via `@orchard/codec`). Decoding is
 * strict: unknown types, truncated bodies and trailing bytes are {@link RelayError}s.
 */
import {
  array,
  buffer,
  type Codec,
  CodecError,
  decode,
  encode,
  fixed32,
  fixed64,
  optionalBuffer,
  raw,
  type StructValue,
  struct,
  uint,
  utf8
} from '@orchard/codec'
import { RelayError } from './errors.ts'

/** Message types of relay protocol version 1, name → wire number. */
export const MessageType = {
  CHALLENGE: 0,
  OPEN: 1,
  OPENED: 2,
  ERROR: 3,
  LOOKUP: 4,
  ANNOUNCE: 5,
  UNANNOUNCE: 6,
  LISTEN: 7,
  UNLISTEN: 8,
  CONNECT: 9,
  CANCEL: 10,
  REPLY: 11,
  DONE: 12,
  SIGN: 13,
  SIGNED: 14,
  HANDSHAKE: 15,
  HANDSHAKE_REPLY: 16,
  STREAM_OPEN: 17,
  DATA: 18,
  END: 19,
  CLOSE: 20
} as const

/** The name of a message type. */
export type MessageTypeName = keyof typeof MessageType

/** `kind` of a {@link MessageType.SIGN} request. */
export const SignKind = { ANNOUNCE: 0, UNANNOUNCE: 1 } as const
/** `op` of a {@link MessageType.HANDSHAKE} request. */
export const HandshakeOp = { SEND: 0, RECV: 1 } as const

const peer = struct({ publicKey: fixed32 })

const bodies = {
  CHALLENGE: struct({ version: uint, nonce: fixed32, maxFrame: uint, signTimeout: uint }),
  OPEN: struct({ version: uint, publicKey: fixed32, signature: fixed64 }),
  OPENED: struct({ maxStreams: uint, bytesPerSecond: uint }),
  ERROR: struct({ id: uint, code: uint, message: utf8 }),
  LOOKUP: struct({ id: uint, topic: fixed32 }),
  ANNOUNCE: struct({ id: uint, topic: fixed32 }),
  UNANNOUNCE: struct({ id: uint, topic: fixed32 }),
  LISTEN: struct({ id: uint }),
  UNLISTEN: struct({ id: uint }),
  CONNECT: struct({ stream: uint, publicKey: fixed32 }),
  CANCEL: struct({ id: uint }),
  REPLY: struct({ id: uint, peers: array(peer) }),
  DONE: struct({ id: uint }),
  SIGN: struct({
    id: uint,
    kind: uint,
    target: fixed32,
    nodeId: fixed32,
    token: buffer,
    peer: buffer,
    refresh: buffer
  }),
  SIGNED: struct({ id: uint, signature: optionalBuffer }),
  HANDSHAKE: struct({ stream: uint, op: uint, data: buffer }),
  HANDSHAKE_REPLY: struct({
    stream: uint,
    data: optionalBuffer,
    remotePublicKey: optionalBuffer,
    holepunchSecret: optionalBuffer
  }),
  STREAM_OPEN: struct({ stream: uint, remotePublicKey: fixed32 }),
  DATA: struct({ stream: uint, data: raw }),
  END: struct({ stream: uint }),
  CLOSE: struct({ stream: uint, code: uint, message: utf8 })
} satisfies Record<MessageTypeName, Codec<unknown, never>>

type Bodies = typeof bodies
/** A decoded message: its `type` name plus the type's fields. */
export type Message = {
  [K in MessageTypeName]: { type: K } & (Bodies[K] extends Codec<infer T, infer _> ? T : never)
}[MessageTypeName]
/** The message of type `K`. */
export type MessageOf<K extends MessageTypeName> = Extract<Message, { type: K }>

/** A peer entry of a {@link MessageType.REPLY}. */
export type Peer = StructValue<{ publicKey: typeof fixed32 }>

const NAMES: MessageTypeName[] = []
for (const [name, n] of Object.entries(MessageType)) NAMES[n] = name as MessageTypeName

/** Encodes `message` as one frame (`uint8 type ‖ body`). */
export function encodeMessage(message: Message): Uint8Array {
  const { type, ...fields } = message
  const codec = bodies[type] as unknown as Codec<unknown, unknown>
  const body = encode(codec, fields)
  const out = new Uint8Array(1 + body.byteLength)
  out[0] = MessageType[type]
  out.set(body, 1)
  return out
}

/**
 * Decodes one frame. Throws `UNKNOWN_TYPE` for a type this version does not know and `BAD_FRAME`
 * for a body that does not decode exactly. Byte fields are views into `frame`.
 */
export function decodeMessage(frame: Uint8Array): Message {
  if (frame.byteLength === 0) throw new RelayError('BAD_FRAME', 'an empty frame')
  const type = NAMES[frame[0]!]
  if (type === undefined) throw new RelayError('UNKNOWN_TYPE', `unknown message type ${frame[0]}`)
  const codec = bodies[type] as unknown as Codec<Record<string, unknown>, never>
  let fields: Record<string, unknown>
  try {
    fields = decode(codec, frame.subarray(1))
  } catch (err) {
    if (err instanceof CodecError) {
      throw new RelayError('BAD_FRAME', `${type}: ${err.message}`, { cause: err })
    }
    throw err
  }
  return { type, ...fields } as Message
}
