import { afterAll, describe, expect, it } from "vitest";
import pg from "pg";

import { migrate } from "../src/migrate.ts";
import { createEmptyDatabase } from "../src/testing.ts";

describe("migrate", () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const fn of cleanup) await fn();
  });

  it("applies every migration once, even when several processes start together", async () => {
    const db = await createEmptyDatabase();
    cleanup.push(db.drop);
    const results = await Promise.all([migrate(db.url), migrate(db.url), migrate(db.url)]);
    // Exactly one of the concurrent migrators did the work; the others found nothing pending.
    const appliedCounts = results.map((r) => r.length).sort();
    expect(appliedCounts[0]).toBe(0);
    expect(appliedCounts[1]).toBe(0);
    expect(appliedCounts[2]).toBeGreaterThan(0);
    expect(await migrate(db.url)).toEqual([]);

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query(
      `select migration_name, finished_at, applied_steps_count, length(checksum) as len from "_prisma_migrations"`,
    );
    await client.end();
    expect(rows).toHaveLength(appliedCounts[2] ?? -1);
    for (const row of rows) {
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.applied_steps_count).toBe(1);
      expect(row.len).toBe(64);
    }
  });

  it("refuses to run when an applied migration was edited", async () => {
    const db = await createEmptyDatabase();
    cleanup.push(db.drop);
    await migrate(db.url);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query(`update "_prisma_migrations" set checksum = repeat('0', 64)`);
    await client.end();
    await expect(migrate(db.url)).rejects.toThrow(/was modified after it was applied/);
  });
});
