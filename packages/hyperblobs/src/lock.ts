/**
 * A FIFO mutex (mutexify's role in hyperblobs): write streams of one `Hyperblobs` hold it from
 * their first write until they close, so each blob's blocks are contiguous and its id's offsets,
 * read when the lock is taken, stay true.
 */
export class Mutex {
  #locked = false
  readonly #waiting: Array<() => void> = []

  /** Whether someone holds the lock. */
  get locked(): boolean {
    return this.#locked
  }

  /** Resolves with a release function once the lock is ours (releasing twice is harmless). */
  acquire(): Promise<() => void> {
    return new Promise((resolve) => {
      const grant = () => {
        this.#locked = true
        let released = false
        resolve(() => {
          if (released) return
          released = true
          this.#release()
        })
      }
      if (this.#locked) this.#waiting.push(grant)
      else grant()
    })
  }

  #release(): void {
    const next = this.#waiting.shift()
    if (next) next()
    else this.#locked = false
  }
}
