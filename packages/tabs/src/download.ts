/**
 * `SharedDownload`: a download a client tab asked the owner to run (the owner holds the network).
 * The owner answers once the range is stored; `destroy()` cancels it there. After an owner
 * change the request is re-sent like any other, so the next owner runs it again (what the old one
 * had stored by then is not fetched twice).
 */
import type { DownloadRange } from '@orchard/hypercore'
import type { Connection } from './connection.ts'
import { type CoreRef, randomId } from './protocol.ts'

/** A running download (from `SharedCore#download`): await `done()`, or `destroy()` it. */
export class SharedDownload {
  /** True once it finished, failed or was destroyed. */
  destroyed = false
  readonly #conn: Connection
  readonly #ref: CoreRef
  readonly #id = randomId()
  readonly #done: Promise<void>

  /** @internal Use `SharedCore#download`. */
  constructor(conn: Connection, ref: CoreRef, range: DownloadRange, opening: Promise<void>) {
    this.#conn = conn
    this.#ref = ref
    this.#done = opening
      .then(() => conn.request('core.download', [ref, this.#id, range]))
      .then(
        () => {
          this.destroyed = true
        },
        (err: unknown) => {
          this.destroyed = true
          throw err
        }
      )
    this.#done.catch(() => {})
  }

  /** Resolves once every block of the range is stored; rejects with `REQUEST_CANCELLED` if destroyed. */
  done(): Promise<void> {
    return this.#done
  }

  /** Deprecated in hypercore: `done()`. */
  downloaded(): Promise<void> {
    return this.done()
  }

  /** Stops the download; `done()` rejects with `REQUEST_CANCELLED`. */
  destroy(): void {
    if (this.destroyed) return
    this.destroyed = true
    this.#conn.request('core.undownload', [this.#ref, this.#id]).catch(() => {})
  }
}
