// What commands need from the outside world, passed in so tests can run them in-process.
import type { Db } from "@btick/db";

import { openDatabase } from "./database.ts";

export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Opens the database (migrated), runs `fn`, and closes it again. */
  withDatabase<T>(fn: (db: Db) => Promise<T>): Promise<T>;
}

export const processIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  async withDatabase(fn) {
    const { db, close } = await openDatabase();
    try {
      return await fn(db);
    } finally {
      await close();
    }
  },
};
