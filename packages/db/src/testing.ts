// Test helpers: every test file gets its own freshly migrated database on the local server.
import { randomBytes } from "node:crypto";

import pg from "pg";

import { createPrismaClient, type Db } from "./client.ts";
import { migrate } from "./migrate.ts";

/** Server used by tests; tests create and drop their own databases on it. */
export const testServerUrl =
  process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testServerUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  name: string;
  url: string;
  prisma: Db;
  /** Disconnects and drops the database. */
  drop(): Promise<void>;
}

/** Creates an empty database (no migrations applied). */
export async function createEmptyDatabase(prefix = "btick_test"): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  await admin((c) => c.query(`create database "${name}"`));
  return {
    name,
    url: withDatabase(testServerUrl, name),
    drop: () => admin((c) => c.query(`drop database if exists "${name}" with (force)`)).then(() => undefined),
  };
}

/** Creates a database with every migration applied and a Prisma client connected to it. */
export async function createTestDatabase(prefix?: string): Promise<TestDatabase> {
  const empty = await createEmptyDatabase(prefix);
  await migrate(empty.url);
  const prisma = createPrismaClient({ connectionString: empty.url, max: 5 });
  return {
    ...empty,
    prisma,
    async drop() {
      await prisma.$disconnect();
      await empty.drop();
    },
  };
}
