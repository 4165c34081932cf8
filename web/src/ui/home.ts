/**
 * The home screen: create a notebook, open one from a link, and the notebooks this browser knows
 * (the ones it writes and the ones shared with it).
 */
import type { LibraryEntry } from '../library.ts'
import { fromHex, keyFromLink, toZ32 } from '../link.ts'
import { formatTime, h } from './dom.ts'

/** What the home screen needs from the app. */
export interface HomeOptions {
  notebooks: LibraryEntry[]
  onCreate: (title: string) => void
  onError: (err: unknown) => void
}

function hashOf(keyHex: string): string {
  return `#key=${toZ32(fromHex(keyHex)!)}`
}

/** The home screen's element. */
export function homeView(opts: HomeOptions): HTMLElement {
  const title = h('input', {
    type: 'text',
    placeholder: 'e.g. Family photos, Trip to Lisbon',
    required: true,
    maxLength: 120,
    'data-testid': 'new-title',
    'aria-label': 'Notebook title'
  })
  const create = (e: Event) => {
    e.preventDefault()
    const t = title.value.trim()
    if (t) opts.onCreate(t)
  }
  const link = h('input', {
    type: 'text',
    placeholder: 'Paste a share link',
    'data-testid': 'open-link',
    'aria-label': 'Share link to open'
  })
  const open = (e: Event) => {
    e.preventDefault()
    const key = keyFromLink(link.value)
    if (!key) return opts.onError(new Error('That is not a notebook link'))
    location.hash = `#key=${toZ32(key)}`
  }
  const mine = opts.notebooks.filter((n) => n.namespace !== null)
  const shared = opts.notebooks.filter((n) => n.namespace === null)
  const list = (entries: LibraryEntry[], empty: string) =>
    entries.length === 0
      ? h('p', { class: 'muted' }, empty)
      : h(
          'ul',
          { class: 'library' },
          entries.map((n) =>
            h(
              'li',
              {},
              h('a', { href: hashOf(n.key), 'data-testid': 'library-item' }, n.title),
              h('span', { class: 'muted small' }, ` opened ${formatTime(n.opened)}`)
            )
          )
        )
  return h(
    'main',
    { class: 'home', 'data-testid': 'home' },
    h(
      'section',
      { class: 'card' },
      h('h2', {}, 'New notebook'),
      h(
        'p',
        { class: 'muted' },
        'Notes and photos that live in this browser and sync peer to peer with everyone you share the link with — no server keeps them.'
      ),
      h(
        'form',
        { class: 'row', onsubmit: create },
        title,
        h('button', { type: 'submit', 'data-testid': 'create-notebook' }, 'Create')
      )
    ),
    h(
      'section',
      { class: 'card' },
      h('h2', {}, 'Open a shared notebook'),
      h('form', { class: 'row', onsubmit: open }, link, h('button', { type: 'submit' }, 'Open'))
    ),
    h('section', { class: 'card' }, h('h2', {}, 'Your notebooks'), list(mine, 'None yet.')),
    h('section', { class: 'card' }, h('h2', {}, 'Shared with you'), list(shared, 'None yet.'))
  )
}
