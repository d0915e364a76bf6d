// What commands need from the outside world, passed in so tests can run them in-process.
import { createInterface, type Interface } from "node:readline";
import { Writable } from "node:stream";

import type { Db } from "@btick/db";

import { openDatabase } from "./database.ts";

export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Opens the database (migrated), runs `fn`, and closes it again. */
  withDatabase<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  /**
   * Asks for one line on stdin (the question goes to stderr); null at end of input. `hidden`: what is typed on a
   * terminal is not echoed (secrets).
   */
  prompt(question: string, options?: { hidden?: boolean }): Promise<string | null>;
}

let lines: AsyncIterator<string> | undefined;
let rl: Interface | undefined;

/** Piped stdin: lines are buffered (several answers may arrive at once) and nothing is echoed anyway. */
async function promptPiped(question: string): Promise<string | null> {
  process.stderr.write(question);
  if (!rl) {
    rl = createInterface({ input: process.stdin, terminal: false });
    lines = rl[Symbol.asyncIterator]();
  }
  const next = await (lines as AsyncIterator<string>).next();
  return next.done ? null : next.value;
}

/**
 * A terminal: readline in raw mode does the echoing (the terminal's own echo is off), through an output that
 * drops everything while a hidden answer is typed.
 */
function promptTerminal(question: string, hidden: boolean): Promise<string | null> {
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  return new Promise((resolve) => {
    const terminal = createInterface({ input: process.stdin, output, terminal: true });
    let answered = false;
    terminal.on("close", () => {
      if (!answered) resolve(null); // Ctrl-C or Ctrl-D
    });
    terminal.question(question, (answer) => {
      answered = true;
      muted = false;
      if (hidden) process.stderr.write("\n");
      terminal.close();
      resolve(answer);
    });
    muted = hidden; // after the question is written
  });
}

function promptStdin(question: string, options: { hidden?: boolean } = {}): Promise<string | null> {
  return process.stdin.isTTY ? promptTerminal(question, options.hidden === true) : promptPiped(question);
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
