/** A FIFO async mutex: `run` executes its tasks one at a time, in call order. */
export class Mutex {
  #tail: Promise<unknown> = Promise.resolve()

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task, task)
    this.#tail = result.catch(() => {})
    return result
  }
}
