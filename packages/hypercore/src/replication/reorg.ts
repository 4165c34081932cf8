/**
 * Following a peer onto a newer fork: fetch its whole signed tree (and the manifest, if we never
 * learned it), verify the signature, and find how many leading blocks our tree shares with it by
 * descending the first differing root with `hash` requests, one level at a time.
 */
import { equal } from '../bytes.ts'
import type { Core } from '../core.ts'
import { InvalidProofError } from '../errors.ts'
import { leftChild, leftSpan, rightChild, rightSpan } from '../flat-tree.ts'
import type { Manifest } from '../manifest.ts'
import { parentNode } from '../merkle/nodes.ts'
import { verifyProof } from '../merkle/verify.ts'
import { type DataMessage, proofOf, type RequestMessage } from './messages.ts'
import type { Peer } from './peer.ts'

/** Sends one request to the peer and resolves with its answer (null on noData, timeout or loss). */
export type Ask = (
  message: Omit<RequestMessage, 'id'>,
  kind: { reorg?: boolean; hash?: number }
) => Promise<DataMessage | null>

type VerifiedTree = Awaited<ReturnType<typeof verifyProof>>

/**
 * `peer`'s fork as a verified tree batch, how many blocks we share with it, and the manifest we
 * learned with it; null when the peer no longer offers a newer fork. Throws a typed error when
 * its proofs do not verify.
 */
export async function fetchFork(
  core: Core,
  peer: Peer,
  ask: Ask
): Promise<{ batch: VerifiedTree; ancestors: number; learned: Manifest | null } | null> {
  const fork = peer.remoteFork
  const empty = { getNode: async () => null, getNodes: async (is: number[]) => is.map(() => null) }
  const base = { length: 0, byteLength: 0, fork, roots: [], signature: null }
  const m = await ask(
    {
      fork,
      block: null,
      hash: null,
      seek: null,
      upgrade: { start: 0, length: peer.remoteLength },
      manifest: core.manifest === null,
      priority: 0
    },
    { reorg: true }
  )
  if (m === null || !m.upgrade || m.fork !== fork || fork <= core.fork) return null
  // a reader that never saw an upgrade learns the manifest with the fork (it must hash to the key)
  const learned = core.manifest === null ? m.manifest : null
  const verifier = core.verifierFor(m.manifest)
  const batch = await verifyProof(base, empty, proofOf(m), verifier.prologue)
  verifier.assertValid(batch, batch.signature)
  return { batch, ancestors: await ancestorsOf(core, ask, fork, batch), learned }
}

/**
 * How many leading blocks our tree shares with the peer's verified `batch`: compare roots with
 * our stored nodes, descending (one `hash` request per level) into the first that differs.
 */
async function ancestorsOf(core: Core, ask: Ask, fork: number, batch: VerifiedTree): Promise<number> {
  const head = 2 * core.length
  const same = async (node: { index: number; size: number; hash: Uint8Array }) => {
    if (rightSpan(node.index) >= head) return false
    const local = await core.storage.getTreeNode(node.index)
    return local !== null && local.size === node.size && equal(local.hash, node.hash)
  }
  let ancestors = 0
  for (const root of batch.roots) {
    let node = root
    while (!(await same(node))) {
      if (node.index % 2 === 0 || leftSpan(node.index) >= head) return ancestors
      const left = leftChild(node.index)
      const m = await ask(
        {
          fork,
          block: null,
          hash: { index: left, nodes: 1 },
          seek: null,
          upgrade: null,
          manifest: false,
          priority: 0
        },
        { hash: left }
      )
      const [l, r] = m?.hash?.nodes ?? []
      if (!l || !r || l.index !== left || r.index !== rightChild(node.index)) {
        throw new InvalidProofError('the peer did not answer the fork descent with the two children')
      }
      const joined = parentNode(node.index, l, r)
      if (joined.size !== node.size || !equal(joined.hash, node.hash)) {
        throw new InvalidProofError('the children the peer sent do not hash to its signed node')
      }
      batch.nodes.push(l, r)
      if (await same(l)) {
        ancestors = rightSpan(l.index) / 2 + 1
        node = r
      } else {
        node = l
      }
    }
    ancestors = rightSpan(node.index) / 2 + 1
  }
  return ancestors
}
