// Coalesces single-item database writes into batch statements.
//
// Items added while the batcher is idle go out on the next turn of the event loop (or after `lingerMs`), together
// with everything added in the meantime; while `maxInFlight` flushes are running, new items queue up and leave in
// the next batch (at most `maxBatch` per statement). Light load thus costs no extra latency and heavy load turns
// hundreds of writes into a few statements (and commits). A failed batch of several items is retried item by item,
// so one bad row cannot fail its neighbours; a failing single item rejects its caller, who decides what to do.

export interface BatcherOptions {
  /** Items per statement. */
  maxBatch: number;
  /** Statements running at once (each holds one pooled connection). */
  maxInFlight: number;
  /** Wait this long after the first queued item before flushing (0: next event-loop turn). */
  lingerMs?: number;
}

interface Pending<I, R> {
  item: I;
  resolve: (r: R) => void;
  reject: (err: unknown) => void;
}

export class Batcher<I, R> {
  private queue: Pending<I, R>[] = [];
  private inFlight = 0;
  private scheduled = false;

  /** `flush` receives up to maxBatch items and returns one result per item, in order. */
  constructor(
    private readonly flush: (items: I[]) => Promise<R[]>,
    private readonly options: BatcherOptions,
  ) {}

  /** Items waiting for a flush (not yet handed to a statement). */
  get pending(): number {
    return this.queue.length;
  }

  add(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.queue.length === 0 || this.inFlight >= this.options.maxInFlight) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      this.drain();
    };
    if (this.options.lingerMs) setTimeout(run, this.options.lingerMs);
    else setImmediate(run);
  }

  private drain(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      this.inFlight++;
      void this.write(batch).finally(() => {
        this.inFlight--;
        this.schedule();
      });
    }
  }

  private async write(batch: Pending<I, R>[]): Promise<void> {
    try {
      const results = await this.flush(batch.map((p) => p.item));
      batch.forEach((p, i) => p.resolve(results[i] as R));
    } catch (err) {
      if (batch.length === 1) {
        (batch[0] as Pending<I, R>).reject(err);
        return;
      }
      for (const p of batch) await this.write([p]);
    }
  }
}

/** One batcher per key object (a database client): created on first use, garbage-collected with the key. */
export function batcherRegistry<K extends object, I, R>(create: (key: K) => Batcher<I, R>): (key: K) => Batcher<I, R> {
  const map = new WeakMap<K, Batcher<I, R>>();
  return (key) => {
    let b = map.get(key);
    if (!b) map.set(key, (b = create(key)));
    return b;
  };
}
