// Opens the database the services use: DATABASE_URL, or the embedded PostgreSQL of `pnpm start`
// (connecting to it when it runs, starting it for the duration of the command when it does not).
import { ConfigError } from "@btick/config";
import { createPrismaClient, migrate, type Db } from "@btick/db";
import { ensureLocalDatabase } from "@btick/local-db";

import { loadCliEnv, loadDotEnv } from "./env.ts";
import { CliError, describeError } from "./errors.ts";

export interface OpenDatabase {
  db: Db;
  close(): Promise<void>;
}

export async function openDatabase(): Promise<OpenDatabase> {
  let env;
  try {
    loadDotEnv();
    env = loadCliEnv();
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message);
    throw err;
  }
  const local = env.DATABASE_URL ? null : await ensureLocalDatabase();
  const url = env.DATABASE_URL ?? (local as NonNullable<typeof local>).url;
  try {
    await migrate(url);
  } catch (err) {
    await local?.stop();
    throw new CliError(`cannot prepare the database: ${describeError(err)}`);
  }
  const db = createPrismaClient({ connectionString: url, max: 2, applicationName: "btick-cli" });
  return {
    db,
    async close() {
      await db.$disconnect();
      await local?.stop();
    },
  };
}
