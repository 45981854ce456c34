/**
 * Group commit: items added while a flush is running wait and go together in the next one, so under load one
 * transaction (one disk sync) carries many writes, and with no load an item is written at once (next tick).
 * `flush` returns one result per item, in order; if it throws, every item of that batch is rejected with the error.
 */
export class WriteBatcher<I, O> {
  private queue: Array<{ item: I; resolve: (o: O) => void; reject: (e: unknown) => void }> = [];
  private running = 0;
  private scheduled = false;

  constructor(
    private readonly flush: (items: I[]) => Promise<O[]>,
    private readonly maxBatch: number,
    /** Flushes allowed at once (one per pooled connection is the most that helps). */
    private readonly maxConcurrent = 2,
    /** Write each item at once, alone: for stores with no commit to share (memory), where waiting only adds latency. */
    private readonly immediate = false,
  ) {}

  add(item: I): Promise<O> {
    if (this.immediate) return this.flush([item]).then(first);
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Items waiting or being written. */
  get pending(): number {
    return this.queue.length + this.running;
  }

  private schedule(): void {
    if (this.scheduled || this.running >= this.maxConcurrent || this.queue.length === 0) return;
    this.scheduled = true;
    // One macrotask of patience lets the callers of the same tick share the batch.
    setImmediate(() => {
      this.scheduled = false;
      void this.run();
    });
  }

  private async run(): Promise<void> {
    if (this.running >= this.maxConcurrent || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.maxBatch);
    this.running++;
    try {
      const results = await this.flush(batch.map((b) => b.item));
      batch.forEach((b, i) => b.resolve(results[i]));
    } catch (err) {
      for (const b of batch) b.reject(err);
    } finally {
      this.running--;
      this.schedule();
    }
    if (this.queue.length > 0) this.schedule();
  }
}

function first<O>(results: O[]): O {
  return results[0];
}
