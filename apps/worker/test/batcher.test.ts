import { describe, expect, it } from "vitest";

import { Batcher } from "../src/batcher.ts";

describe("Batcher", () => {
  it("sends items added in the same turn as one batch, capped at maxBatch, with results in order", async () => {
    const batches: number[][] = [];
    const b = new Batcher<number, number>(async (items) => {
      batches.push(items);
      return items.map((i) => i * 2);
    }, { maxBatch: 4, maxInFlight: 1 });
    const out = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => b.add(i)));
    expect(out).toEqual([2, 4, 6, 8, 10, 12]);
    expect(batches).toEqual([[1, 2, 3, 4], [5, 6]]);
  });

  it("queues items while maxInFlight flushes are running and sends them together afterwards", async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const b = new Batcher<number, boolean>(async (items) => {
      batches.push(items);
      if (batches.length === 1) await gate;
      return items.map(() => true);
    }, { maxBatch: 100, maxInFlight: 1 });
    const first = b.add(0);
    await new Promise((r) => setImmediate(r));
    const rest = [1, 2, 3].map((i) => b.add(i));
    expect(b.pending).toBe(3);
    release();
    await Promise.all([first, ...rest]);
    expect(batches).toEqual([[0], [1, 2, 3]]);
  });

  it("retries a failed batch item by item, so only the bad item's caller sees the error", async () => {
    const b = new Batcher<number, number>(async (items) => {
      if (items.includes(3)) throw new Error("bad item");
      return items;
    }, { maxBatch: 10, maxInFlight: 2 });
    const results = await Promise.allSettled([1, 2, 3, 4].map((i) => b.add(i)));
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
  });
});
