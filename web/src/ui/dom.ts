/**
 * A few lines of view layer: `h()` builds elements, `replace()` swaps a container's children.
 * Views are functions that return elements; they re-render when the data they show changes.
 */

/** What `h()` accepts as attributes: properties set on the element, `on*` listeners, `data-*`. */
export type Attrs = Record<string, unknown>
/** A child: a node, text, or nothing (skipped). */
export type Child = Node | string | number | null | undefined | false

/** Creates `<tag>` with `attrs` (`class`, `data-*`, `aria-*`, `onclick`, properties) and `children`. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value as EventListener)
    } else if (name === 'class' || name.startsWith('data-') || name.startsWith('aria-') || name === 'role') {
      el.setAttribute(name, String(value))
    } else {
      ;(el as unknown as Record<string, unknown>)[name] = value
    }
  }
  append(el, children)
  return el
}

function append(el: Node, children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue
    el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)))
  }
}

/** Replaces the children of `el` with `children`. */
export function replace(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren()
  append(el, children)
}

/** `bytes` as a short human size (`1.2 MB`). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?'
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let n = bytes
  let u = 0
  while (n >= 1000 && u < units.length - 1) {
    n /= 1000
    u++
  }
  return `${u === 0 ? n : n.toFixed(n < 10 ? 1 : 0)} ${units[u]}`
}

/** A time as the UI prints it: `14:03` today, else the date. */
export function formatTime(ms: number): string {
  const d = new Date(ms)
  const today = new Date().toDateString() === d.toDateString()
  return today
    ? d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' })
}
