/**
 * The sync panel: the relay's state, peers, one progress bar per core of the open notebook
 * (blocks stored here of the blocks it has), whether the blind peer holds the notebook, storage used of the quota, and whether the browser
 * keeps the data under storage pressure (persistent storage).
 */
import type { CoreProgress } from '../notebook.ts'
import type { KeptState, RelayState } from '../sync.ts'
import { formatBytes, h } from './dom.ts'

/** What the panel shows. */
export interface StatusModel {
  relay: RelayState
  relayUrl: string
  online: boolean
  peers: number
  /** Whether the blind peers hold the notebook (see {@link KeptState}). */
  kept: KeptState
  cores: CoreProgress[]
  usage: number | null
  quota: number | null
  /** null: unknown yet, or the browser has no persistent storage. */
  persisted: boolean | null
  onPersist: () => void
}

const RELAY_TEXT: Record<RelayState, string> = {
  connecting: 'connecting to relay…',
  online: 'relay connected',
  offline: 'relay unreachable (retrying)'
}

const KEPT_TEXT: Record<Exclude<KeptState, 'off'>, string> = {
  sending: 'blind peer: receiving the latest changes…',
  kept: 'kept by the blind peer: it stays available when every tab is closed',
  unreachable: 'blind peer unreachable (retrying)'
}

function progressRow(core: CoreProgress): HTMLElement {
  const done = core.length === 0 ? 1 : core.downloaded / core.length
  return h(
    'div',
    { class: 'progress-row', 'data-testid': 'progress-row', 'data-core': core.label },
    h('span', { class: 'progress-label' }, core.label),
    h('progress', { max: Math.max(core.length, 1), value: core.length === 0 ? 1 : core.downloaded }),
    h(
      'span',
      { class: 'progress-count' },
      `${core.downloaded}/${core.length} blocks · ${Math.round(done * 100)}% · ${core.peers} peer${core.peers === 1 ? '' : 's'}`
    )
  )
}

/** The panel's element for `m`. */
export function statusPanel(m: StatusModel): HTMLElement {
  const relayState = m.online ? m.relay : 'offline'
  const storage =
    m.usage === null
      ? 'storage: unknown'
      : `storage: ${formatBytes(m.usage)}${m.quota ? ` of ${formatBytes(m.quota)}` : ''} used`
  return h(
    'section',
    { class: 'status', 'aria-label': 'Sync status' },
    h(
      'div',
      { class: 'status-line' },
      h('span', { class: `dot dot-${relayState}`, 'aria-hidden': 'true' }),
      h(
        'span',
        { 'data-testid': 'relay-state', 'data-state': relayState, title: m.relayUrl },
        m.online ? RELAY_TEXT[m.relay] : 'offline: changes are kept here and sync later'
      ),
      h('span', { class: 'sep' }, '·'),
      h(
        'span',
        { 'data-testid': 'peers', 'data-peers': m.peers },
        `${m.peers} peer${m.peers === 1 ? '' : 's'}`
      )
    ),
    m.kept === 'off'
      ? null
      : h(
          'div',
          { class: 'status-line small' },
          h('span', { 'data-testid': 'kept', 'data-kept': m.kept }, KEPT_TEXT[m.kept])
        ),
    m.cores.length > 0 ? h('div', { class: 'progress' }, m.cores.map(progressRow)) : null,
    h(
      'div',
      { class: 'status-line small' },
      h('span', { 'data-testid': 'storage' }, storage),
      h('span', { class: 'sep' }, '·'),
      m.persisted === true
        ? h('span', { 'data-testid': 'persistence', 'data-persisted': 'true' }, 'persistent storage: on')
        : h(
            'span',
            { 'data-testid': 'persistence', 'data-persisted': 'false' },
            m.persisted === null ? 'persistent storage: unavailable ' : 'persistent storage: not granted ',
            m.persisted === false
              ? h('button', { class: 'link', type: 'button', onclick: m.onPersist }, 'ask again')
              : null
          )
    )
  )
}
