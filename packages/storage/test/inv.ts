import { mkdtempSync, readdirSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { launchChromium, servePage } from './browser/chromium.ts'

const server = await servePage(fileURLToPath(new URL('./browser/idb-page.ts', import.meta.url)))
const profile = mkdtempSync(join(tmpdir(), 'inv-'))
const call = (page: any, fn: string, ...a: unknown[]) =>
  page.evaluate(`window.${fn}(${a.map((x) => JSON.stringify(x)).join(',')})`)
function ls(label: string) {
  const walk = (d: string): string[] =>
    readdirSync(d).flatMap((f) => {
      const p = join(d, f)
      return statSync(p).isDirectory() ? walk(p) : [`${p.slice(profile.length)} ${statSync(p).size}`]
    })
  console.log(
    label,
    walk(join(profile, 'Default'))
      .filter((l) => /IndexedDB|storage|Local State|Preferences/i.test(l))
      .join('\n  ')
  )
}
let c = await launchChromium(profile)
let p = await c.open(server.url)
call(p, 'writeBatches', 'r').catch(() => {})
await new Promise((r) => setTimeout(r, 800))
await c.kill()

c = await launchChromium(profile)
p = await c.open(server.url)
console.log('check after relaunch', await call(p, 'checkStore', 'r'))

await c.close()

c = await launchChromium(profile)
p = await c.open(server.url)
p.on('console', (m: any) => {
  if (m.text().startsWith('ready')) console.log('writer:', m.text())
})
call(p, 'writeBatches', 'r').catch(() => {})
await new Promise((r) => setTimeout(r, 500))
await c.close()
await server.close()
