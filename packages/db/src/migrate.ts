import { createHash, randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import pg from "pg";

/**
 * Where the SQL migrations are, independent of the working directory: next to the code in a bundled build
 * (the app bundler copies them to dist/migrations beside dist/main.js), else prisma/migrations in the repository.
 */
export const defaultMigrationsDir = [
  fileURLToPath(new URL("./migrations", import.meta.url)),
  fileURLToPath(new URL("../../../prisma/migrations", import.meta.url)),
].find((dir) => existsSync(dir)) ?? fileURLToPath(new URL("../../../prisma/migrations", import.meta.url));

// Any fixed 64-bit number works; it only has to be the same in every process that migrates.
const MIGRATION_LOCK_KEY = 7_314_202_612_030_001n;

interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

async function readMigrations(dir: string): Promise<Migration[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    }),
  );
}

/**
 * Applies pending migrations the way `prisma migrate deploy` does, recording them in
 * `_prisma_migrations` (same table, same checksum), so Prisma's CLI agrees with us where it runs.
 * A session-level advisory lock serialises concurrent starters (API and worker starting together):
 * the second waits, then finds nothing left to do.
 */
export async function migrate(
  connectionString: string,
  options: { migrationsDir?: string; log?: (msg: string) => void } = {},
): Promise<string[]> {
  const migrations = await readMigrations(options.migrationsDir ?? defaultMigrationsDir);
  const client = new pg.Client({ connectionString, application_name: "btick-migrate" });
  await client.connect();
  const applied: string[] = [];
  try {
    await client.query("select pg_advisory_lock($1::bigint)", [MIGRATION_LOCK_KEY.toString()]);
    await client.query(`
      create table if not exists "_prisma_migrations" (
        "id" varchar(36) primary key not null,
        "checksum" varchar(64) not null,
        "finished_at" timestamptz,
        "migration_name" varchar(255) not null,
        "logs" text,
        "rolled_back_at" timestamptz,
        "started_at" timestamptz not null default now(),
        "applied_steps_count" integer not null default 0
      )`);
    const { rows } = await client.query<{ migration_name: string; checksum: string; finished_at: Date | null }>(
      `select migration_name, checksum, finished_at from "_prisma_migrations" where rolled_back_at is null`,
    );
    const done = new Map(rows.map((r) => [r.migration_name, r]));
    for (const m of migrations) {
      const row = done.get(m.name);
      if (row) {
        if (!row.finished_at) throw new Error(`migration ${m.name} failed earlier and needs manual repair`);
        if (row.checksum !== m.checksum) throw new Error(`migration ${m.name} was modified after it was applied`);
        continue;
      }
      await client.query("begin");
      try {
        const id = randomUUID();
        await client.query(
          `insert into "_prisma_migrations" (id, checksum, migration_name) values ($1, $2, $3)`,
          [id, m.checksum, m.name],
        );
        await client.query(m.sql);
        await client.query(
          `update "_prisma_migrations" set finished_at = now(), applied_steps_count = 1 where id = $1`,
          [id],
        );
        await client.query("commit");
      } catch (err) {
        await client.query("rollback");
        throw new Error(`migration ${m.name} failed: ${(err as Error).message}`, { cause: err });
      }
      applied.push(m.name);
      options.log?.(`applied migration ${m.name}`);
    }
  } finally {
    await client.query("select pg_advisory_unlock($1::bigint)", [MIGRATION_LOCK_KEY.toString()]).catch(() => {});
    await client.end();
  }
  return applied;
}
