/**
 * The app: opens the store and the swarm, routes between the home screen and a notebook
 * (`#key=<id>` in the URL), and keeps the sync panel current. `document.body.dataset.state` tells
 * which screen is up (`loading`, `locked`, `home`, `notebook`), for people debugging and for tests.
 */
import type { Corestore } from '@orchard/corestore'
import { requestPersistence } from '@orchard/storage'
import type { AppConfig } from './config.ts'
import { findInLibrary, listLibrary, saveToLibrary } from './library.ts'
import { keyFromLink, shareLink, toHex } from './link.ts'
import { Notebook } from './notebook.ts'
import { openAppStore, StoreLockedError } from './store.ts'
import { Sync } from './sync.ts'
import { h, replace } from './ui/dom.ts'
import { homeView } from './ui/home.ts'
import { NotebookView } from './ui/notebook-view.ts'
import { statusPanel } from './ui/status.ts'

type Screen = 'loading' | 'locked' | 'home' | 'notebook'

/** Tabs of the app talk over this channel: a tab that cannot open the store asks the one that can. */
const CHANNEL = 'orchard-notebook'
const LOCK_RETRY_MS = 2000

/** Calls `fn` at most once per `ms`, trailing. */
function throttle(fn: () => void, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null
  return () => {
    if (timer) return
    timer = setTimeout(() => {
      timer = null
      fn()
    }, ms)
  }
}

/** The running app, mounted on `root`. */
export class App {
  readonly root: HTMLElement
  readonly config: AppConfig
  store: Corestore | null = null
  sync: Sync | null = null
  notebook: Notebook | null = null
  view: NotebookView | null = null
  readonly #errors: HTMLElement
  readonly #content: HTMLElement
  readonly #channel: BroadcastChannel | null
  #usage: number | null = null
  #quota: number | null = null
  #persisted: boolean | null = null
  /** Bumped on every navigation, so a slow open that lost the race closes what it opened. */
  #route = 0
  readonly #redrawStatus = throttle(() => this.#renderStatus(), 150)
  readonly #refreshNotebook = throttle(() => this.view?.refresh(), 200)
  /** Hands the open notebook's cores (new blocks, a drive opened late) to the blind peers. */
  readonly #keepNotebook = throttle(() => {
    if (this.notebook) this.sync?.keep(this.notebook.cores())
  }, 500)

  constructor(root: HTMLElement, config: AppConfig) {
    this.root = root
    this.config = config
    this.#errors = h('div', { class: 'errors', role: 'alert', 'data-testid': 'errors' })
    this.#content = h('div', { class: 'content' })
    replace(
      root,
      h(
        'header',
        { class: 'app-header' },
        h(
          'a',
          { href: '#', class: 'brand' },
          h('img', { src: 'icon.svg', alt: '', width: 28, height: 28 }),
          'Orchard Notebook'
        )
      ),
      this.#errors,
      this.#content
    )
    this.#channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(CHANNEL) : null
  }

  #setScreen(screen: Screen): void {
    document.body.dataset.state = screen
  }

  /** Shows `err` to the user (and in the console). */
  showError = (err: unknown): void => {
    const message = err instanceof Error ? err.message : String(err)
    console.warn('orchard-notebook:', err)
    const item = h(
      'p',
      {},
      message,
      h('button', { type: 'button', class: 'link', onclick: () => item.remove() }, 'dismiss')
    )
    this.#errors.append(item)
  }

  /** Opens the store (waiting while another tab has it), the swarm, then routes. */
  async start(): Promise<void> {
    this.#setScreen('loading')
    replace(this.#content, h('p', { class: 'muted' }, 'Opening your notebooks…'))
    this.store = await this.#openStore()
    this.sync = new Sync(this.store, this.config.relay, this.config.blindPeers)
    this.sync.on('status', this.#redrawStatus)
    addEventListener('online', this.#redrawStatus)
    addEventListener('offline', this.#redrawStatus)
    addEventListener('hashchange', () => this.#navigate())
    if (this.#channel) {
      this.#channel.onmessage = (e: MessageEvent<{ open?: string }>) => {
        if (typeof e.data?.open === 'string') location.hash = e.data.open
      }
    }
    this.#persisted = navigator.storage?.persisted
      ? await navigator.storage.persisted().catch(() => null)
      : null
    await this.#estimate()
    setInterval(() => this.#estimate(), 5000)
    await this.#navigate()
  }

  async #openStore(): Promise<Corestore> {
    for (;;) {
      try {
        return await openAppStore()
      } catch (err) {
        if (!(err instanceof StoreLockedError)) throw err
        this.#showLocked()
        await new Promise((r) => setTimeout(r, LOCK_RETRY_MS))
      }
    }
  }

  #showLocked(): void {
    if (document.body.dataset.state === 'locked') return
    this.#setScreen('locked')
    const hash = location.hash
    replace(
      this.#content,
      h(
        'section',
        { class: 'card', 'data-testid': 'locked' },
        h('h2', {}, 'Orchard Notebook is open in another tab'),
        h(
          'p',
          {},
          'Your notebooks are stored in this browser, and one tab at a time works on them. Use the other tab, or close it: this tab takes over by itself once it is closed.'
        ),
        hash && this.#channel
          ? h(
              'button',
              { type: 'button', onclick: () => this.#channel!.postMessage({ open: hash }) },
              'Open this link in the other tab'
            )
          : null
      )
    )
  }

  async #estimate(): Promise<void> {
    if (!navigator.storage?.estimate) return
    try {
      const { usage, quota } = await navigator.storage.estimate()
      this.#usage = usage ?? null
      this.#quota = quota ?? null
    } catch {
      // not available (e.g. an opaque origin)
    }
    this.#redrawStatus()
  }

  #askPersistence = async (): Promise<void> => {
    this.#persisted = await requestPersistence()
    this.#redrawStatus()
  }

  async #navigate(): Promise<void> {
    const route = ++this.#route
    const key = keyFromLink(location.hash)
    await this.#closeNotebook()
    if (route !== this.#route) return
    if (!key) return this.#showHome()
    this.#setScreen('loading')
    replace(this.#content, h('p', { class: 'muted' }, 'Opening notebook…'))
    const entry = findInLibrary(toHex(key))
    let nb: Notebook
    try {
      nb = await Notebook.open(this.store!, key, entry?.namespace ?? null)
    } catch (err) {
      this.showError(err)
      return this.#showHome()
    }
    if (route !== this.#route) return void (await nb.close())
    this.notebook = nb
    this.#remember(nb)
    this.view = new NotebookView(nb, {
      link: shareLink(location.href, nb.key),
      onError: this.showError,
      onWrite: () => this.#estimate()
    })
    nb.on('change', () => {
      this.#remember(nb)
      this.#refreshNotebook()
    })
    nb.on('progress', this.#redrawStatus)
    nb.on('progress', this.#keepNotebook)
    replace(this.#content, this.view.el)
    this.#setScreen('notebook')
    this.sync!.join(nb.discoveryKey)
    this.sync!.keep(nb.cores())
    this.#renderStatus()
    await this.view.refresh()
  }

  /** Keeps the library's entry of `nb` current (title, last opened). */
  #remember(nb: Notebook): void {
    const key = toHex(nb.key)
    const old = findInLibrary(key)
    const title = nb.meta?.title ?? old?.title ?? 'Shared notebook'
    if (old && old.title === title && Date.now() - old.opened < 60_000) return
    saveToLibrary({ key, title, namespace: nb.namespace, opened: Date.now() })
  }

  async #closeNotebook(): Promise<void> {
    const nb = this.notebook
    if (!nb) return
    this.notebook = null
    this.view?.destroy()
    this.view = null
    await this.sync?.leave(nb.discoveryKey)
    await nb.close()
  }

  #showHome(): void {
    this.#setScreen('home')
    replace(
      this.#content,
      homeView({
        notebooks: listLibrary(),
        onCreate: (title) => this.#create(title),
        onError: this.showError
      })
    )
  }

  async #create(title: string): Promise<void> {
    try {
      // a user gesture: the moment to ask the browser to keep the data under storage pressure
      this.#askPersistence()
      const nb = await Notebook.create(this.store!, title)
      saveToLibrary({ key: toHex(nb.key), title, namespace: nb.namespace, opened: Date.now() })
      const hash = shareLink('', nb.key)
      await nb.close()
      location.hash = hash
    } catch (err) {
      this.showError(err)
    }
  }

  #renderStatus(): void {
    const slot = this.view?.statusSlot
    if (!slot || !this.sync) return
    replace(
      slot,
      statusPanel({
        relay: this.sync.relay,
        relayUrl: this.sync.relayUrl,
        online: navigator.onLine,
        peers: this.sync.peers,
        kept: this.sync.kept,
        cores: this.notebook?.progress() ?? [],
        usage: this.#usage,
        quota: this.#quota,
        persisted: this.#persisted,
        onPersist: this.#askPersistence
      })
    )
  }
}
