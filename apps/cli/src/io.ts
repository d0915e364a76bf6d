// What commands need from the outside world, passed in so tests can run them in-process.
import { createInterface, type Interface } from "node:readline";

import type { Db } from "@btick/db";

import { openDatabase } from "./database.ts";

export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Opens the database (migrated), runs `fn`, and closes it again. */
  withDatabase<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  /** Asks for one line on stdin (the question goes to stderr); null at end of input. */
  prompt(question: string): Promise<string | null>;
}

let lines: AsyncIterator<string> | undefined;
let rl: Interface | undefined;

async function promptStdin(question: string): Promise<string | null> {
  process.stderr.write(question);
  if (!rl) {
    rl = createInterface({ input: process.stdin, terminal: false });
    lines = rl[Symbol.asyncIterator]();
  }
  const next = await (lines as AsyncIterator<string>).next();
  return next.done ? null : next.value;
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
  prompt: promptStdin,
};

/** Releases stdin after prompting, so the process can exit. */
export function closePrompts(): void {
  rl?.close();
  rl = undefined;
  lines = undefined;
}
