/**
 * A hand-driven relay session for bad-input tests: sends arbitrary frames and records what the
 * relay answers and how it closes the WebSocket.
 */
import { type KeyPair, sign } from '@orchard/crypto'
import WebSocket from 'ws'
import { decodeMessage, encodeMessage, type Message, openSignable, PROTOCOL_VERSION } from '../src/index.ts'

/** A raw session: frames in, decoded messages out, and the close code/reason. */
export interface RawSession {
  ws: WebSocket
  messages: Message[]
  /** Resolves with the first message of `type` (already received or next). */
  next(type: Message['type']): Promise<Message>
  /** Resolves when the relay closed the socket. */
  closed: Promise<{ code: number; reason: string }>
  send(bytes: Uint8Array | Message): void
  /** Answers the challenge with `keyPair` (signing with `signer`, default the same key). */
  open(keyPair: KeyPair, signer?: KeyPair): Promise<Message>
}

/** Connects a raw session to `url`. */
export async function rawSession(url: string): Promise<RawSession> {
  const ws = new WebSocket(url)
  const messages: Message[] = []
  const waiters: { type: string; resolve: (m: Message) => void }[] = []
  ws.on('message', (data: Buffer) => {
    const m = decodeMessage(new Uint8Array(data))
    messages.push(m)
    for (const w of waiters.filter((w) => w.type === m.type)) {
      waiters.splice(waiters.indexOf(w), 1)
      w.resolve(m)
    }
  })
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }))
  )
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  const session: RawSession = {
    ws,
    messages,
    closed,
    next(type) {
      const have = messages.find((m) => m.type === type)
      if (have) return Promise.resolve(have)
      return new Promise((resolve) => waiters.push({ type, resolve }))
    },
    send(bytes) {
      ws.send(bytes instanceof Uint8Array ? bytes : encodeMessage(bytes))
    },
    async open(keyPair, signer = keyPair) {
      const challenge = await session.next('CHALLENGE')
      if (challenge.type !== 'CHALLENGE') throw new Error('no challenge')
      const signature = sign(openSignable(challenge.nonce), signer.secretKey)
      session.send({ type: 'OPEN', version: PROTOCOL_VERSION, publicKey: keyPair.publicKey, signature })
      return session.next('OPENED')
    }
  }
  return session
}
