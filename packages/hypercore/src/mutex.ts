/** A FIFO async mutex: `run` executes its tasks one at a time, in call order. */
export class Mutex {
  #tail: Promise<unknown> = Promise.resolve()

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task, task)
    this.#tail = result.catch(() => {})
    return result
  }
}

/** A lock held until released: `acquire` waits for the previous holder's release. */
export class ExclusiveLock {
  #tail: Promise<void> = Promise.resolve()

  /** Waits until every earlier holder released; resolves with this holder's release. */
  async acquire(): Promise<() => void> {
    let release!: () => void
    const previous = this.#tail
    this.#tail = new Promise<void>((resolve) => {
      release = resolve
    })
    await previous
    return release
  }
}
