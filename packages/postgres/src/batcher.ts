/**
 * Gathers the calls of one kind made in one turn of the event loop (and those made while earlier
 * batches are in flight) into one statement: 64 concurrent claims cost one round trip, not 64.
 * A batch never holds one key twice (PostgreSQL refuses to update a row twice in one statement);
 * a second call for a key waits for the next batch, and sees the first one's outcome.
 */
export class StatementBatcher<I extends { readonly key: string }, R> {
  private queue: Array<{ item: I; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly run: (items: readonly I[]) => Promise<readonly R[]>,
    private readonly maxInFlight: number,
    private readonly maxItems = 1_000,
  ) {}

  add(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch: typeof this.queue = [];
      const rest: typeof this.queue = [];
      const keys = new Set<string>();
      for (const entry of this.queue) {
        if (batch.length < this.maxItems && !keys.has(entry.item.key)) {
          keys.add(entry.item.key);
          batch.push(entry);
        } else rest.push(entry);
      }
      this.queue = rest;
      this.inFlight++;
      this.run(batch.map((e) => e.item)).then(
        (results) => batch.forEach((e, i) => e.resolve(results[i]!)),
        (error: unknown) => batch.forEach((e) => e.reject(error)),
      ).finally(() => {
        this.inFlight--;
        this.schedule();
      });
      // Keys held back as repeats go in the next statement, after this one's outcome.
      if (batch.length < this.maxItems && rest.length > 0) break;
    }
  }
}
