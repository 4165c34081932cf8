/**
 * The page of the WebRTC test: two peer connections in one tab, linked over the private network
 * namespace's veth address, each data channel pair wrapped by `fromDataChannel` and put through
 * the shared Duplex conformance checks. `window.runConformance()` reports each check's outcome.
 */
import { ready } from '@orchard/crypto'
import { fromDataChannel } from '../../src/index.ts'
import { type DuplexPair, duplexChecksFor } from '../duplex-conformance.ts'

async function connectPair(): Promise<DuplexPair> {
  const pcA = new RTCPeerConnection()
  const pcB = new RTCPeerConnection()
  pcA.onicecandidate = (e) => e.candidate && pcB.addIceCandidate(e.candidate)
  pcB.onicecandidate = (e) => e.candidate && pcA.addIceCandidate(e.candidate)
  const channelA = pcA.createDataChannel('orchard')
  const channelB = new Promise<RTCDataChannel>((resolve) => {
    pcB.ondatachannel = (e) => resolve(e.channel)
  })
  await pcA.setLocalDescription(await pcA.createOffer())
  await pcB.setRemoteDescription(pcA.localDescription!)
  await pcB.setLocalDescription(await pcB.createAnswer())
  await pcA.setRemoteDescription(pcB.localDescription!)
  const b = await channelB
  const opened = (c: RTCDataChannel) =>
    c.readyState === 'open'
      ? Promise.resolve()
      : new Promise((r) => c.addEventListener('open', r, { once: true }))
  await Promise.all([opened(channelA), opened(b)])
  return {
    a: fromDataChannel(channelA),
    b: fromDataChannel(b),
    cleanup: () => {
      pcA.close()
      pcB.close()
    }
  }
}

async function runConformance(): Promise<Record<string, string>> {
  await ready()
  const results: Record<string, string> = {}
  for (const [name, check] of Object.entries(duplexChecksFor({ halfClose: false }))) {
    try {
      await check(connectPair)
      results[name] = 'ok'
    } catch (err) {
      results[name] = String((err as Error).stack ?? err)
    }
  }
  return results
}

Object.assign(window, { runConformance })
;(globalThis as { ready?: boolean }).ready = true
