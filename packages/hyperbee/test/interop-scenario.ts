/**
 * Shared scenario of the interop tests: the content both writers write and the reads compared.
 */
import { collect, plain, type Real } from './helpers.ts'

export const enc = { keyEncoding: 'utf-8', valueEncoding: 'json' } as const
export const key = (i: number) => `key-${String(i).padStart(5, '0')}`

/** Writes the same content through either package: batches, puts, overwrites, deletes, a sub. */
export async function fill(bee: Real): Promise<number[]> {
  const versions: number[] = []
  for (let start = 0; start < 2000; start += 500) {
    const b = bee.batch()
    for (let i = start; i < start + 500; i++) await b.put(key(i), { i, pad: 'x'.repeat(i % 50) })
    await b.flush()
    versions.push(bee.version)
  }
  for (let i = 0; i < 2000; i += 7) await bee.del(key(i))
  versions.push(bee.version)
  for (let i = 3; i < 2000; i += 11) await bee.put(key(i), { i, again: true })
  const sub = bee.sub('inner', enc)
  for (let i = 0; i < 30; i++) await sub.put(`s${i}`, i)
  versions.push(bee.version)
  return versions
}

const ranges = [
  {},
  { gte: key(100), lt: key(180) },
  { gt: key(100), lte: key(180) },
  { gte: key(1000), limit: 25 },
  { lt: key(600), reverse: true, limit: 40 },
  { gt: key(1500), reverse: true },
  { gte: 'key-', lt: 'key.' }
]

export async function readAll(bee: Real, versions: number[]): Promise<unknown> {
  const out: Record<string, unknown> = {}
  const gets = []
  for (let i = 0; i < 2000; i += 37) gets.push(await bee.get(key(i)))
  gets.push(await bee.get('nope'))
  out.gets = gets
  for (let r = 0; r < ranges.length; r++) out[`range${r}`] = await collect(bee.createReadStream(ranges[r]))
  out.peek = [await bee.peek({ gt: key(10) }), await bee.peek({ lt: key(10), reverse: true })]
  out.history = await collect(bee.createHistoryStream({ gte: versions[3] - 20, lt: versions[3] + 40 }))
  out.historyReverse = await collect(bee.createHistoryStream({ reverse: true, limit: 50 }))
  out.diff = await collect(bee.createDiffStream(versions[2], { gte: key(900), lt: key(1200) }))
  out.diffAll = (await collect(bee.createDiffStream(versions[4]))).length
  const sub = bee.sub('inner', enc)
  out.sub = await collect(sub.createReadStream())
  out.subGet = await sub.get('s3')
  const co = bee.checkout(versions[1])
  out.checkout = [
    await co.get(key(700)),
    await co.get(key(1200)),
    (await collect(co.createReadStream({ limit: 5 }))).length
  ]
  await co.close()
  return plain(out)
}
