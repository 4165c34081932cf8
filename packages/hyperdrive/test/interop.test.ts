/**
 * Acceptance 1 (and the scenario half of 3): the interop scenario — 110 files from 0 B to 10 MiB
 * in nested folders, symlinks, executables, metadata, a batch, overwrites, deletes — written by our
 * drive and by the real hyperdrive 13. Both writers produce the same metadata blocks and the same
 * blobs (equal tree hashes of both cores) and answer every read alike; then each is replicated to
 * a reader of the other package, which reads the same bytes, entries, listings, diffs and ranges.
 * Also: a drive whose header names its blobs core (compat drives) and encrypted drives, both ways.
 */
import { Corestore } from '@orchard/corestore'
import { ready } from '@orchard/crypto'
import { Hyperbee } from '@orchard/hyperbee'
import { Hyperblobs } from '@orchard/hyperblobs'
import { openMemoryStorage } from '@orchard/storage'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeEntryValue, Hyperdrive } from '../src/index.ts'
import {
  type Any,
  cleanup,
  hex,
  link,
  oursDrive,
  RealCorestore,
  RealHyperdrive,
  realDrive,
  tmp,
  until
} from './helpers.ts'
import { read, write } from './scenario.ts'

let ours: Hyperdrive
let real: Any
let versions: number[]
let expected: Record<string, unknown>

beforeAll(async () => {
  await ready()
  ours = await oursDrive()
  real = await realDrive()
  versions = await write(ours, false)
  const realVersions = await write(real, true)
  expect(realVersions).toEqual(versions)
  expected = await read(ours, versions)
}, 60_000)

afterAll(async () => {
  await ours?.close()
  await real?.close()
  cleanup()
})

async function treeHash(core: Any): Promise<string> {
  return hex(new Uint8Array(await core.treeHash(core.length)))
}

describe('the interop scenario', () => {
  it('writes the same metadata blocks and blobs as the real hyperdrive', async () => {
    expect(ours.core.length).toBe(real.core.length)
    for (let i = 0; i < ours.core.length; i++) {
      expect(hex(await ours.core.get(i)), `metadata block ${i}`).toBe(hex(await real.core.get(i)))
    }
    expect(await treeHash(ours.core)).toBe(await treeHash(real.core))
    const blobs = await ours.getBlobs()
    expect(blobs.core.length).toBe(real.blobs.core.length)
    expect(blobs.core.byteLength).toBe(real.blobs.core.byteLength)
    expect(await treeHash(blobs.core)).toBe(await treeHash(real.blobs.core))
    // the drives' keys differ (different key pairs), their content keys derive from them alike
    expect(hex(ours.contentKey)).toBe(hex(Hyperdrive.getContentKey(ours.core)))
    expect(hex(real.contentKey)).toBe(hex(RealContentKey(real)))
  })

  it('answers every read as the real hyperdrive does', async () => {
    expect(await read(real, versions)).toEqual(expected)
    // and what it read is what was written
    expect((expected.list as unknown[]).length).toBe(110 - 2 + 6 + 1)
  })

  it('is read by the real hyperdrive over replication', async () => {
    const reader = await realDrive(ours.key)
    const unlink = link(reader, ours)
    try {
      await until(() => reader.core.length === ours.core.length, 20_000, 'the real reader to sync')
      expect(hex(reader.contentKey ?? (await reader.getBlobs()).core.key)).toBe(hex(ours.contentKey))
      expect(await read(reader, versions)).toEqual(expected)
    } finally {
      unlink()
      await reader.close()
    }
  }, 60_000)

  it('reads what the real hyperdrive wrote, over replication', async () => {
    const reader = await oursDrive(new Uint8Array(real.key))
    const unlink = link(real, reader)
    try {
      await until(() => reader.core.length === real.core.length, 20_000, 'our reader to sync')
      expect(hex((await reader.getBlobs()).core.key)).toBe(hex(new Uint8Array(real.blobs.core.key)))
      expect(reader.writable).toBe(false)
      expect(await read(reader, versions)).toEqual(expected)
    } finally {
      unlink()
      await reader.close()
    }
  }, 60_000)
})

describe('a drive whose header names its blobs core (as compat drives write it)', () => {
  it('is read through the header key, by ours and by the real hyperdrive', async () => {
    // built by hand: a bee with `contentFeed` in its header, and the blobs in a core of its own
    const store = new Corestore(openMemoryStorage())
    const blobsCore = store.get({ name: 'my-blobs' })
    const blobs = new Hyperblobs(blobsCore)
    const id = await blobs.put(new TextEncoder().encode('from the header'))
    const core = store.get({ name: 'my-db' })
    await core.ready()
    const bee = new Hyperbee(core, { metadata: { contentFeed: blobsCore.key } })
    await bee.put(
      'files\0/f.txt',
      encodeEntryValue({ executable: false, linkname: null, blob: id, metadata: null })
    )
    const key = core.key!
    expect(Hyperdrive.getContentKey(core)).not.toEqual(blobsCore.key) // not the derived one

    const host = new Hyperdrive(store, key)
    const ours = await oursDrive(key)
    const real = await realDrive(key)
    const unlinks = [link(host, ours), link(real, host)]
    try {
      await until(() => ours.core.length === 2 && real.core.length === 2, 10_000, 'the readers to sync')
      expect(text(await ours.get('/f.txt'))).toBe('from the header')
      expect(ours.contentKey).toEqual(blobsCore.key)
      expect(text(await real.get('/f.txt'))).toBe('from the header')
      expect(hex(real.contentKey)).toBe(hex(blobsCore.key))
    } finally {
      for (const u of unlinks) u()
      await ours.close()
      await real.close()
      await host.close()
    }
  })
})

describe('an encrypted drive (encryptionKey)', () => {
  it('is read by the other package with the same key, both ways', async () => {
    const encryptionKey = new Uint8Array(32).fill(7)
    const realWriter = new RealHyperdrive(new RealCorestore(tmp()), {
      encryptionKey: Buffer.from(encryptionKey)
    })
    await realWriter.put('/a', Buffer.from('their secret'))
    const oursWriter = new Hyperdrive(new Corestore(openMemoryStorage()), { encryptionKey })
    await oursWriter.put('/b', 'our secret')
    const oursReader = new Hyperdrive(new Corestore(openMemoryStorage()), new Uint8Array(realWriter.key), {
      encryptionKey
    })
    const realReader = new RealHyperdrive(new RealCorestore(tmp()), Buffer.from(oursWriter.key!), {
      encryptionKey: Buffer.from(encryptionKey)
    })
    await Promise.all([oursReader.ready(), realReader.ready()])
    const unlinks = [link(realWriter, oursReader), link(oursWriter, realReader)]
    try {
      await until(() => oursReader.core.length === 2 && realReader.core.length === 2, 10_000, 'the readers')
      expect(text(await oursReader.get('/a'))).toBe('their secret')
      expect(text(new Uint8Array(await realReader.get('/b')))).toBe('our secret')
      // the blocks at rest are not the plaintext
      const raw = (await oursWriter.blobs!.core.get(0, { raw: true }))!
      expect(text(raw)).not.toContain('our secret')
    } finally {
      for (const u of unlinks) u()
      await Promise.all([realWriter.close(), oursWriter.close(), oursReader.close(), realReader.close()])
    }
  })
})

const text = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b))

function RealContentKey(drive: Any): Uint8Array {
  // hyperdrive's static, from the real metadata core
  return new Uint8Array(drive.constructor.getContentKey(drive.core))
}
