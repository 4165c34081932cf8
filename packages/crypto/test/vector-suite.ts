/**
 * Known-answer vectors, run in Node and in Chromium on both backends: the official BLAKE2b KAT
 * (unkeyed and keyed, from the BLAKE2 reference repository) and the Holepunch vectors of
 * holepunch-formats.md §3 (namespaces, empty tree), §4.8 (a three-block core) and §5.6 (a
 * deterministic secret-stream handshake and its first frames).
 */
import { expect, it } from 'vitest'
import type * as Crypto from '../src/index.ts'
import kat from './fixtures/blake2b-kat.json'
import { fromHex, hex, sequence, utf8 } from './helpers.ts'
import { runXX } from './noise-xx.ts'

type C = typeof Crypto

const NAMESPACES: [string, number, string[]][] = [
  [
    'hypercore',
    6,
    [
      '9fac70b50ca14efc4e91c833b204e75b8b5aad8b5881bfc0adb5ef38a3275b9c',
      '51812a2a359b50369536775df89e18e47740f3db72ac0ae70b29594c194dc316',
      '0438492d02970cc13528ac0262bca0074e0926260256865accc0bf15bd79127d',
      'e64b7108eacce47cfc61ac850568f55f8b15b82ec5ed78c4ec597b036e2a1498',
      '4144eea531e483d54e0c14f4ca68e0644f355343ff6fcb0f005200e12cd747cb',
      '9aedb6f1dea8487cc1e1698f97eb2f063f6db4c649695622e7b675e2ceafa6e9'
    ]
  ],
  [
    'hyperswarm/secret-stream',
    3,
    [
      'a931a0155b5c09e6d28628236af83c4b8a6af9af60986edeede9dc5d63192bf7',
      '742c9d833d430af4c48a8705e91631eecf295442bbca18996e597097723b1061',
      'aab97d097471f56651b0460ffc8aaa7d3342f7377597d60b925a1dac689adcbf'
    ]
  ],
  ['corestore', 1, ['ac5c4cbfb1064776404637a280c71fac823281d351ebeced03151743270def29']],
  ['hyperdrive', 1, ['f217b747161784b495ceee3c42163b07dd62cb06df26e20e95ba4d438123aeeb']]
]

const u64 = (n: number) => {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setUint32(0, n, true)
  return out
}

/** Registers the vector tests for the crypto module `c` (already `ready` on some backend). */
export function vectorTests(c: C): void {
  it('BLAKE2b official KAT: 256 unkeyed and 256 keyed vectors, 64-byte output', () => {
    const key = sequence(64)
    for (let i = 0; i < 256; i++) {
      expect(hex(c.blake2b(sequence(i), 64)), `unkeyed ${i}`).toBe(kat.unkeyed[i])
      expect(hex(c.blake2b(sequence(i), 64, key)), `keyed ${i}`).toBe(kat.keyed[i])
      // The same input split in two parts streams to the same digest.
      const cut = i >> 1
      expect(hex(c.blake2bBatch([sequence(i).subarray(0, cut), sequence(i).subarray(cut)], 64, key))).toBe(
        kat.keyed[i]
      )
    }
  })

  it('§3: namespaces, the empty tree hash, Ed25519 test key', () => {
    for (const [name, count, want] of NAMESPACES) expect(c.namespace(name, count).map(hex)).toEqual(want)
    expect(hex(c.tree([]))).toBe('bb30a42c1e62f0afda5f0a4e8a562f7a13a24cea00ee81917b86b89e801314aa')
    const kp = c.keyPair(new Uint8Array(32).fill(1))
    expect(hex(kp.publicKey)).toBe('8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c')
    expect(hex(kp.secretKey)).toBe('01'.repeat(32) + hex(kp.publicKey))
  })

  it('§4.8: a three-block core — manifest key, discovery key, leaves, parent, roots, tree hash, signatures', () => {
    const kp = c.keyPair(new Uint8Array(32).fill(1))
    const [TREE, , , MANIFEST, DEFAULT_NAMESPACE] = c.namespace('hypercore', 6) as Uint8Array[]
    const manifest = new Uint8Array([1, 0, 0, 1, 1, 0, ...DEFAULT_NAMESPACE!, ...kp.publicKey])
    const key = c.hash([MANIFEST!, manifest])
    expect(hex(key)).toBe('d8c3a0597903b28d751c6e0b7107775e388ec5a3cf669bdd1e7ec41b8b8f6e72')
    expect(hex(c.discoveryKey(key))).toBe('fb892b1c77fdcb05dcbd234607208b7036e00a13e7f2cc0bbaa463924e57865a')
    expect(hex(c.discoveryKey(kp.publicKey))).toBe(
      'c1feb82a2b3ba065ffed9f6addcf19ac250793bcab748986a1b4272c62da20e6'
    )

    const blocks = [utf8('a'), utf8('b'), utf8('c')]
    const leaves = c.hashLeaves(blocks).map(hex)
    expect(leaves).toEqual([
      '423177bd3da55c6ac57419beff9c763bab05e12a6d8908b38b7fc14360228d4a',
      '520abb1082986713dabf6862ccfe1bb6b87037647d0019b31219493ef186597c',
      '9435aca782b6bc40e253392d45c885f3b1ad47f23e7b6c3f9daf5b0868c438c5'
    ])
    const { nodes, roots } = c.appendTree([], blocks)
    expect(nodes.map((n) => [n.index, n.size, hex(n.hash)])).toEqual([
      [0, 1, leaves[0]],
      [2, 1, leaves[1]],
      [1, 2, '9cac92aaed9e7d11eb629465684582ce39cb496303998de123533b09e16f2f06'],
      [4, 1, leaves[2]]
    ])
    expect(roots.map((n) => [n.index, n.size])).toEqual([
      [1, 2],
      [4, 1]
    ])
    const treeHash = c.tree(roots)
    expect(hex(treeHash)).toBe('7ea73eb86179fb7328e73663f90f4c91256574af1112efe97fdf9309e03b67a7')
    // The same tree, one block at a time.
    const first = c.appendTree([], blocks.slice(0, 2))
    expect(hex(c.tree(c.appendTree(first.roots, blocks.slice(2)).roots))).toBe(hex(treeHash))

    const signable = new Uint8Array([...TREE!, ...key, ...treeHash, ...u64(3), ...u64(0)])
    const sig = c.sign(signable, kp.secretKey)
    expect(hex(sig)).toBe(
      'ffc0d71651d8c0c24962a662c90f411f371945e3514669899d3189b832a1bd96' +
        '0415ee04d8ccb4c4159506ad230d223f33ca3dce6aa6d16d27e9fbd47efa2505'
    )
    expect(c.verify(signable, sig, kp.publicKey)).toBe(true)
    const compatSignable = new Uint8Array([...TREE!, ...treeHash, ...u64(3), ...u64(0)])
    expect(hex(c.sign(compatSignable, kp.secretKey))).toBe(
      'deb1a2d6b46b1ac51fa3111f84cd6d0874ab43f325e160aff4d3d95acfdfec67' +
        'b399fd0bd4e09b86fdbf19bd894b28e0a9d4bbf58c4ccb326fc888d8428d960e'
    )
  })

  it('§5.6: the deterministic XX handshake, stream ids and first secretstream frames', () => {
    const seed = (b: number) => c.keyPair(new Uint8Array(32).fill(b))
    const xx = runXX(c, { si: seed(1), sr: seed(2), ei: seed(3), er: seed(4) })
    expect(hex(seed(2).publicKey)).toBe('8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394')
    expect(hex(xx.msg1)).toBe('ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d1')
    expect(hex(xx.msg2)).toBe(
      'ca93ac1705187071d67b83c7ff0efe8108e8ec4530575d7726879333dbdabe7c' +
        '8924380c5066a7dcffff1174cebcbfefc17dafd675f6dc2e688de867ff96c431a1fcb7f80997fba29d5bbc64a5' +
        '0e8d74e82bc092a89c62eacaf68db17bb5d0b5'
    )
    expect(hex(xx.msg3)).toBe(
      '585b6e8320c9dfc6764d48e242b912333244a85ae8769c90ee632f1d3bf6945d6d4729ee9c716f0f82946ce1' +
        '91158c480d53f508585c93bb66354bbee6b8bdad'
    )
    expect(hex(xx.hash)).toBe(
      'aa42bcea44d843e3803e549191ae7eac847a85dccf21ef3918a7cf228d87b788' +
        '9b194cdb190b8b2cf82daf543e71e86871532b84ba1d7982489eb3040dcfc412'
    )
    expect(hex(xx.responderHash)).toBe(hex(xx.hash))
    expect(hex(xx.itx)).toBe('36e72ba85cd0a2b5e7c9f44704a1757d7230c30dd39736e46f2190fcd1300c13')
    expect(hex(xx.irx)).toBe('29c4a931005b47aaf766f5ec7a119810eb15399b8612e79071f77447826dee17')
    expect(hex(xx.rrx)).toBe(hex(xx.itx))
    expect(hex(xx.rtx)).toBe(hex(xx.irx))

    const [NS_INITIATOR, NS_RESPONDER] = c.namespace('hyperswarm/secret-stream', 3) as Uint8Array[]
    expect(hex(c.blake2b(NS_INITIATOR!, 32, xx.hash))).toBe(
      'a1d1ba79814a026a75d3d0d86df2d767c48c1a62a59d9e5d47876ab9b0867673'
    )
    expect(hex(c.blake2b(NS_RESPONDER!, 32, xx.hash))).toBe(
      '87964fe510a0eef9766102bc05eb51bd18d4baf59ec0fe2e51fa323b19101cf6'
    )

    const push = new c.SecretStreamPush(xx.itx, new Uint8Array(24).fill(5))
    expect(hex(push.push(utf8('hello')))).toBe('c5076b0d419ca99b0c82ccc250bec967d04f038266fc')
    expect(hex(push.push(new Uint8Array(0)))).toBe('1bd6eee4420440a409ba23cd97e714ec2d')
    const pull = new c.SecretStreamPull(xx.rrx, new Uint8Array(24).fill(5))
    expect(pull.pull(fromHex('c5076b0d419ca99b0c82ccc250bec967d04f038266fc'))).toEqual({
      message: utf8('hello'),
      tag: c.TAG_MESSAGE
    })
  })
}
