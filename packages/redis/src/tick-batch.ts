/**
 * Gathers the calls made in one turn of the event loop into one call of `run` (on setImmediate,
 * when the deliveries that arrived together have all asked). `run` returns one result per item,
 * in order; a failure fails every item of the batch.
 */
export class TickBatch<I, R> {
  private pending: Array<{ item: I; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];

  constructor(private readonly run: (items: readonly I[]) => Promise<readonly R[]>) {}

  add(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      if (this.pending.push({ item, resolve, reject }) === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    this.run(batch.map((b) => b.item)).then(
      (results) => batch.forEach((b, i) => b.resolve(results[i]!)),
      (error: unknown) => batch.forEach((b) => b.reject(error)),
    );
  }
}
