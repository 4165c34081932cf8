// A core on IndexedDB in a browser tab: open it by name, append, get, list. Reloading the page
// reopens the same core. Run with Vite from the repository root: `npx vite examples/browser`.
import { Hypercore } from '@orchard/hypercore'

const $ = (id) => document.getElementById(id)

// In a browser a name is an IndexedDB database (in Node it would be a folder).
const core = new Hypercore('orchard-example-log', { valueEncoding: 'utf-8' })
await core.ready()
$('key').textContent = core.id

async function show() {
  $('status').textContent = `${core.length} entries, ${core.byteLength} bytes`
  const list = $('entries')
  list.replaceChildren()
  for (let i = 0; i < core.length; i++) {
    const li = document.createElement('li')
    li.textContent = await core.get(i)
    list.append(li)
  }
}

$('form').addEventListener('submit', async (event) => {
  event.preventDefault()
  const text = $('entry').value.trim() || `an entry at ${new Date().toLocaleTimeString()}`
  await core.append(text)
  $('entry').value = ''
  await show()
})

if (core.length === 0) await core.append('the first entry, appended when the log was created')
await show()
