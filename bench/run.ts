/**
 * `pnpm bench [suite ...] [--json]` — runs the named suites (all by default) from
 * `bench/suites/<name>.ts`. Each suite compares ours with the real Holepunch package in one run.
 */
import { readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { formatRow, type Row, type Suite, toJson } from './harness.ts'

const here = dirname(fileURLToPath(import.meta.url))
const args = process.argv.slice(2)
const json = args.includes('--json')
const available = readdirSync(join(here, 'suites'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3))
  .sort()
const wanted = args.filter((a) => !a.startsWith('--'))
const unknown = wanted.filter((w) => !available.includes(w))
if (unknown.length) {
  console.error(`unknown suite(s): ${unknown.join(', ')}; available: ${available.join(', ')}`)
  process.exit(2)
}

if (!json) {
  console.log(
    `${'suite'.padEnd(10)} ${'metric'.padEnd(44)} ${'ours'.padStart(14)} ${'real'.padStart(14)} ${'ratio'.padStart(8)}  unit`
  )
}
for (const name of wanted.length ? wanted : available) {
  const mod = (await import(join(here, 'suites', `${name}.ts`))) as { default: Suite }
  await mod.default({
    suite: name,
    report(row) {
      const full: Row = { suite: name, ...row }
      console.log(json ? toJson(full) : formatRow(full))
    }
  })
}
