/**
 * The package loads and runs in Chromium as any app's Vite build would load it — this project's
 * Vite config has no `global` define and no `process`/`events`/`buffer` shims. Nothing here
 * connects (WebRTC tests that connect run in a private network namespace: netns.test.ts); a
 * responder peer does no ICE gathering until it is signalled.
 */
import { ready } from '@orchard/crypto'
import { memoryPair, Protomux, SecretStream } from '@orchard/wire'
import { beforeAll, describe, expect, it } from 'vitest'
import { createPeer, fromSimplePeer, upgrade, WebRtcError } from '../src/index.ts'

beforeAll(() => ready())

describe('@orchard/webrtc in Chromium, bundled by Vite without shims', () => {
  it("wraps a simple-peer peer on the browser's own WebRTC, with bufferedamountlow", async () => {
    const peer = createPeer({ initiator: false })
    const duplex = fromSimplePeer(peer)
    expect(duplex.connecting).toBe(true)
    expect(typeof peer._channel?.bufferedAmountLowThreshold).toBe('number')
    expect(duplex.write(new Uint8Array([1, 2, 3]))).toBe(true) // queued until it connects
    const closed = new Promise<Error | null>((resolve) => duplex.once('close', resolve))
    duplex.destroy()
    expect(await closed).toBeNull()
    await new Promise((r) => setTimeout(r, 0))
    expect(peer.destroyed).toBe(true)
  })

  it('signals over a secret-stream in the tab: a remote that does not upgrade is REFUSED', async () => {
    const [x, y] = memoryPair()
    const keyPair = SecretStream.keyPair()
    const a = new SecretStream(true, x, { keyPair })
    const b = new SecretStream(false, y)
    await Promise.all([a.opened, b.opened])
    Protomux.from(b)
    const err = await upgrade(a, { keyPair }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WebRtcError)
    expect((err as WebRtcError).code).toBe('REFUSED')
    a.destroy()
  })
})
