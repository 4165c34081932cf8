/**
 * The Node side of the network-namespace test, run inside the namespace: serves the bundled test
 * page over HTTP on the namespace's loopback, and relays WebSocket frames between the two tabs of
 * a room as a relay node would — blindly, without reading them (the tabs' secret-stream runs
 * through it end to end). A minimal RFC 6455 server (binary, close, ping), so the test needs no
 * WebSocket package. Prints `listening <port>` once up; exits on SIGTERM.
 *
 * Usage: node --import tsx relay-child.ts <bundle.js>
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { bundlePage } from '../../../../test/setup/bundle-page.ts'

const bundle = readFileSync(process.argv[2]!)
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

/** One side of a room: its socket, and frames that arrived before the other side joined. */
interface Side {
  socket: Socket
  peer: Side | null
  pending: Uint8Array[]
}
const rooms = new Map<string, Side>()

const server = createServer(bundlePage(bundle, 'orchard webrtc'))

server.on('upgrade', (req, socket: Socket) => {
  const key = req.headers['sec-websocket-key']
  const room = new URL(req.url ?? '/', 'http://x').searchParams.get('room') ?? ''
  if (typeof key !== 'string') return socket.destroy()
  const accept = createHash('sha1')
    .update(key + WS_GUID)
    .digest('base64')
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`
  )
  socket.setNoDelay(true)
  const side: Side = { socket, peer: null, pending: [] }
  const waiting = rooms.get(room)
  if (waiting) {
    rooms.delete(room)
    side.peer = waiting
    waiting.peer = side
    for (const frame of waiting.pending.splice(0)) socket.write(frame)
  } else {
    rooms.set(room, side)
  }
  let buffered: Uint8Array = new Uint8Array(0)
  socket.on('data', (chunk: Uint8Array) => {
    buffered = concat(buffered, chunk)
    for (;;) {
      const frame = parseFrame(buffered)
      if (frame === null) break
      buffered = buffered.subarray(frame.length)
      onFrame(side, frame.fin, frame.opcode, frame.payload)
    }
  })
  const gone = () => {
    if (rooms.get(room) === side) rooms.delete(room)
    side.peer?.socket.end(encodeFrame(true, 0x8, new Uint8Array(0)))
    side.peer = null
  }
  socket.on('close', gone)
  socket.on('error', () => socket.destroy())
})

function onFrame(side: Side, fin: boolean, opcode: number, payload: Uint8Array): void {
  if (opcode === 0x8) {
    side.socket.end(encodeFrame(true, 0x8, new Uint8Array(0)))
    return
  }
  if (opcode === 0x9) {
    side.socket.write(encodeFrame(true, 0xa, payload))
    return
  }
  if (opcode === 0xa) return
  // data frames (binary, text, continuation) go to the other side as they came, unmasked
  const frame = encodeFrame(fin, opcode, payload)
  if (side.peer) side.peer.socket.write(frame)
  else side.pending.push(frame)
}

function parseFrame(
  b: Uint8Array
): { fin: boolean; opcode: number; payload: Uint8Array; length: number } | null {
  if (b.byteLength < 2) return null
  const fin = (b[0]! & 0x80) !== 0
  const opcode = b[0]! & 0x0f
  const masked = (b[1]! & 0x80) !== 0
  let length = b[1]! & 0x7f
  let at = 2
  if (length === 126) {
    if (b.byteLength < 4) return null
    length = (b[2]! << 8) | b[3]!
    at = 4
  } else if (length === 127) {
    if (b.byteLength < 10) return null
    length = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(2))
    at = 10
  }
  const maskAt = at
  if (masked) at += 4
  if (b.byteLength < at + length) return null
  const payload = b.slice(at, at + length)
  if (masked) for (let i = 0; i < length; i++) payload[i]! ^= b[maskAt + (i & 3)]!
  return { fin, opcode, payload, length: at + length }
}

function encodeFrame(fin: boolean, opcode: number, payload: Uint8Array): Uint8Array {
  const n = payload.byteLength
  const header = n < 126 ? 2 : n < 65536 ? 4 : 10
  const out = new Uint8Array(header + n)
  out[0] = (fin ? 0x80 : 0) | opcode
  if (n < 126) out[1] = n
  else if (n < 65536) {
    out[1] = 126
    out[2] = n >> 8
    out[3] = n & 0xff
  } else {
    out[1] = 127
    new DataView(out.buffer).setBigUint64(2, BigInt(n))
  }
  out.set(payload, header)
  return out
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.byteLength === 0) return b
  const out = new Uint8Array(a.byteLength + b.byteLength)
  out.set(a)
  out.set(b, a.byteLength)
  return out
}

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`)
})
process.on('SIGTERM', () => {
  server.closeAllConnections()
  server.close(() => process.exit(0))
})
