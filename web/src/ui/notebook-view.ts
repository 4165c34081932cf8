/**
 * The screen of one notebook: its title and share link, the notes (add, edit, delete when this
 * browser writes it) and the photos (add from files; thumbnails from the drive's bytes as object
 * URLs). The composer and the status slot are built once; the lists re-render when the notebook
 * changes, except the notes list while a note is being edited (so typing is never lost).
 */
import type { Note, Notebook, Photo } from '../notebook.ts'
import { formatBytes, formatTime, h, replace } from './dom.ts'

/** What the view needs from the app. */
export interface NotebookViewOptions {
  /** The notebook's share link. */
  link: string
  /** Shows an error to the user. */
  onError: (err: unknown) => void
  /** After a local write (storage use changed). */
  onWrite: () => void
}

/** The notebook screen. */
export class NotebookView {
  readonly el: HTMLElement
  /** Where the app puts the sync panel. */
  readonly statusSlot: HTMLElement
  readonly #nb: Notebook
  readonly #opts: NotebookViewOptions
  readonly #title: HTMLElement
  readonly #notes: HTMLElement
  readonly #photos: HTMLElement
  /** Object URLs of photo bytes, by path (revoked on destroy). */
  readonly #urls = new Map<string, string>()
  /** Paths whose bytes are being fetched. */
  readonly #loading = new Set<string>()
  #editing: string | null = null
  #refreshing: Promise<void> | null = null
  #again = false
  #destroyed = false

  constructor(nb: Notebook, opts: NotebookViewOptions) {
    this.#nb = nb
    this.#opts = opts
    this.#title = h('h2', { 'data-testid': 'notebook-title' }, nb.title)
    this.#notes = h('div', { class: 'notes', 'data-testid': 'notes' })
    this.#photos = h('div', { class: 'photos', 'data-testid': 'photos' })
    this.statusSlot = h('div', { class: 'status-slot' })
    this.el = h(
      'main',
      { class: 'notebook', 'data-testid': 'notebook', 'data-writable': String(nb.writable) },
      h('a', { href: '#', class: 'back' }, '← All notebooks'),
      h(
        'header',
        { class: 'notebook-header' },
        this.#title,
        h(
          'span',
          { class: `badge ${nb.writable ? 'badge-writer' : 'badge-reader'}`, 'data-testid': 'role' },
          nb.writable ? 'You write this notebook' : 'Read-only · shared with you'
        ),
        nb.writable
          ? h('button', { type: 'button', class: 'link', onclick: () => this.#rename() }, 'Rename')
          : null
      ),
      this.#shareBox(),
      this.statusSlot,
      h(
        'section',
        { class: 'card' },
        h('h3', {}, 'Notes'),
        nb.writable ? this.#composer() : null,
        this.#notes
      ),
      h(
        'section',
        { class: 'card' },
        h('h3', {}, 'Photos'),
        nb.writable ? this.#photoPicker() : null,
        this.#photos
      )
    )
  }

  #shareBox(): HTMLElement {
    const input = h('input', {
      type: 'text',
      readOnly: true,
      value: this.#opts.link,
      'data-testid': 'share-link',
      'aria-label': 'Share link',
      onfocus: () => input.select()
    })
    const copied = h('span', { class: 'muted', 'aria-live': 'polite' })
    const copy = async () => {
      input.select()
      try {
        await navigator.clipboard.writeText(this.#opts.link)
        copied.textContent = 'Copied'
      } catch {
        copied.textContent = 'Select the link and copy it'
      }
    }
    return h(
      'section',
      { class: 'share' },
      h('label', {}, 'Share link — anyone with it can read this notebook'),
      h(
        'div',
        { class: 'row' },
        input,
        h('button', { type: 'button', onclick: copy, 'data-testid': 'copy-link' }, 'Copy link'),
        copied
      )
    )
  }

  #composer(): HTMLElement {
    const text = h('textarea', {
      rows: 3,
      placeholder: 'Write a note…',
      'data-testid': 'new-note',
      'aria-label': 'New note'
    })
    const add = async (e: Event) => {
      e.preventDefault()
      const value = text.value.trim()
      if (!value) return
      try {
        await this.#nb.addNote(value)
        text.value = ''
        this.#opts.onWrite()
      } catch (err) {
        this.#opts.onError(err)
      }
    }
    return h(
      'form',
      { class: 'composer', onsubmit: add },
      text,
      h('button', { type: 'submit', 'data-testid': 'add-note' }, 'Add note')
    )
  }

  #photoPicker(): HTMLElement {
    const input = h('input', {
      type: 'file',
      accept: 'image/*',
      multiple: true,
      'data-testid': 'add-photo',
      'aria-label': 'Add photos'
    })
    input.addEventListener('change', async () => {
      for (const file of Array.from(input.files ?? [])) {
        try {
          await this.#nb.addPhoto(file.name, file.type, new Uint8Array(await file.arrayBuffer()))
          this.#opts.onWrite()
        } catch (err) {
          this.#opts.onError(err)
        }
      }
      input.value = ''
    })
    return h('label', { class: 'button' }, 'Add photos', input)
  }

  async #rename(): Promise<void> {
    const title = prompt('Notebook title', this.#nb.title)?.trim()
    if (!title) return
    try {
      await this.#nb.rename(title)
      this.#opts.onWrite()
    } catch (err) {
      this.#opts.onError(err)
    }
  }

  /** Re-lists notes and photos (one refresh at a time; one more if asked meanwhile). */
  refresh(): Promise<void> {
    if (this.#refreshing) {
      this.#again = true
      return this.#refreshing
    }
    this.#refreshing = this.#render()
      .catch((err) => this.#opts.onError(err))
      .finally(() => {
        this.#refreshing = null
        if (this.#again && !this.#destroyed) {
          this.#again = false
          this.refresh()
        }
      })
    return this.#refreshing
  }

  async #render(): Promise<void> {
    const [notes, photos] = await Promise.all([this.#nb.notes(), this.#nb.photos()])
    if (this.#destroyed) return
    this.#title.textContent = this.#nb.title
    if (this.#editing === null) this.#renderNotes(notes)
    this.#renderPhotos(photos)
  }

  #renderNotes(notes: Note[]): void {
    if (notes.length === 0) {
      const empty = this.#nb.meta === null ? 'Waiting for a peer that has this notebook…' : 'No notes yet.'
      replace(this.#notes, h('p', { class: 'muted' }, empty))
      return
    }
    replace(
      this.#notes,
      notes.map((note) => this.#noteCard(note))
    )
  }

  #noteCard(note: Note): HTMLElement {
    const body = h('p', { class: 'note-text', 'data-testid': 'note-text' }, note.text)
    const when = h(
      'span',
      { class: 'muted small' },
      note.updated !== note.created ? `edited ${formatTime(note.updated)}` : formatTime(note.created)
    )
    const card = h('article', { class: 'note', 'data-testid': 'note', 'data-id': note.id }, body)
    if (!this.#nb.writable) {
      card.append(h('footer', {}, when))
      return card
    }
    const edit = () => {
      this.#editing = note.id
      const area = h('textarea', { rows: 3, value: note.text, 'data-testid': 'edit-note' })
      const done = () => {
        this.#editing = null
        this.refresh()
      }
      const save = async (e: Event) => {
        e.preventDefault()
        try {
          await this.#nb.editNote(note.id, area.value)
          this.#opts.onWrite()
        } catch (err) {
          this.#opts.onError(err)
        }
        done()
      }
      replace(
        card,
        h(
          'form',
          { class: 'composer', onsubmit: save },
          area,
          h(
            'div',
            { class: 'row' },
            h('button', { type: 'submit', 'data-testid': 'save-note' }, 'Save'),
            h('button', { type: 'button', class: 'secondary', onclick: done }, 'Cancel')
          )
        )
      )
      area.focus()
    }
    const remove = async () => {
      if (!confirm('Delete this note?')) return
      await this.#nb.deleteNote(note.id).catch((err) => this.#opts.onError(err))
      this.#opts.onWrite()
    }
    card.append(
      h(
        'footer',
        {},
        when,
        h('button', { type: 'button', class: 'link', onclick: edit, 'data-testid': 'edit' }, 'Edit'),
        h('button', { type: 'button', class: 'link danger', onclick: remove }, 'Delete')
      )
    )
    return card
  }

  #renderPhotos(photos: Photo[]): void {
    if (photos.length === 0) {
      replace(this.#photos, h('p', { class: 'muted' }, 'No photos yet.'))
      return
    }
    replace(
      this.#photos,
      photos.map((p) => this.#photoCard(p))
    )
  }

  #photoCard(photo: Photo): HTMLElement {
    const url = this.#urls.get(photo.path)
    if (!url) this.#loadPhoto(photo)
    const media = url
      ? h('img', { src: url, alt: photo.name, loading: 'lazy', 'data-testid': 'photo-img' })
      : h('div', { class: 'photo-pending' }, 'downloading…')
    const remove = async () => {
      if (!confirm(`Delete ${photo.name}?`)) return
      await this.#nb.deletePhoto(photo.path).catch((err) => this.#opts.onError(err))
      this.#opts.onWrite()
    }
    return h(
      'figure',
      { class: 'photo', 'data-testid': 'photo', 'data-name': photo.name },
      media,
      h(
        'figcaption',
        {},
        h('span', { class: 'photo-name' }, photo.name),
        h('span', { class: 'muted small' }, formatBytes(photo.size)),
        this.#nb.writable
          ? h('button', { type: 'button', class: 'link danger', onclick: remove }, 'Delete')
          : null
      )
    )
  }

  /** Fetches a photo's bytes (from IndexedDB, or from peers as they arrive), then re-renders. */
  #loadPhoto(photo: Photo): void {
    if (this.#loading.has(photo.path)) return
    this.#loading.add(photo.path)
    this.#nb
      .photoBytes(photo.path)
      .then((bytes) => {
        if (!bytes || this.#destroyed) return
        const blob = new Blob([bytes as Uint8Array<ArrayBuffer>], { type: photo.type })
        this.#urls.set(photo.path, URL.createObjectURL(blob))
        this.refresh()
      })
      .catch(() => {})
      .finally(() => this.#loading.delete(photo.path))
  }

  /** Releases the object URLs. */
  destroy(): void {
    this.#destroyed = true
    for (const url of this.#urls.values()) URL.revokeObjectURL(url)
    this.#urls.clear()
  }
}
