import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";

import { ensureLocalDatabase, parsePidFile, readPidFile, type LocalDatabase } from "../src/index.ts";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function query(url: string, sql: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

// The PostgreSQL process runs as the `postgres` user when we are root: it must be able to enter the directory.
const root = mkdtempSync(join(tmpdir(), "btick-local-db-"));
chmodSync(root, 0o755);
const dataDir = join(root, "postgres");
const opened: LocalDatabase[] = [];
const silent = () => {};

afterAll(async () => {
  for (const db of opened) await db.stop();
  rmSync(root, { recursive: true, force: true });
});

describe("parsePidFile", () => {
  it("reads pid, data dir, port and status", () => {
    const text = "4242\n/data/pg\n1764790000\n54329\n\n127.0.0.1\n  1234  5678\nready   \n";
    expect(parsePidFile(text)).toEqual({ pid: 4242, dataDir: "/data/pg", port: 54329, status: "ready" });
    expect(parsePidFile("")).toBeNull();
    expect(parsePidFile("abc\n")).toBeNull();
  });
});

describe("ensureLocalDatabase", () => {
  it("initialises, starts, and is reused by a second caller", async () => {
    const port = await freePort();
    const first = await ensureLocalDatabase({ dataDir, port, log: silent });
    opened.push(first);
    expect(first.started).toBe(true);
    expect(first.url).toBe(`postgresql://postgres:btick-local@127.0.0.1:${port}/btick`);
    expect(await query(first.url, "select current_database() as db")).toEqual([{ db: "btick" }]);

    // A second caller (the CLI while `pnpm start` runs) connects to the same server, even when asked for another port.
    const second = await ensureLocalDatabase({ dataDir, port: port + 1, log: silent });
    expect(second.started).toBe(false);
    expect(second.url).toBe(first.url);
    await second.stop(); // a no-op: it did not start the server
    expect(await query(first.url, "select 1 as one")).toEqual([{ one: 1 }]);

    await query(first.url, "create table kept (v int); insert into kept values (7)");
    await first.stop();
    expect(readPidFile(dataDir)).toBeNull();
  });

  it("keeps data across restarts", async () => {
    const db = await ensureLocalDatabase({ dataDir, port: await freePort(), log: silent });
    opened.push(db);
    expect(db.started).toBe(true);
    expect(await query(db.url, "select v from kept")).toEqual([{ v: 7 }]);
    await db.stop();
  });

  it("starts despite a stale postmaster.pid left by a crash", async () => {
    // The pid of a live process that is not a postmaster for this directory (ours), as after a reboot.
    writeFileSync(join(dataDir, "postmaster.pid"), `${process.pid}\n${dataDir}\n0\n5432\n\n127.0.0.1\n0 0\nready\n`);
    const db = await ensureLocalDatabase({ dataDir, port: await freePort(), log: silent });
    opened.push(db);
    expect(db.started).toBe(true);

    // Now a real crash: the postmaster is killed without a shutdown.
    const pid = readPidFile(dataDir)?.pid;
    expect(pid).toBeTypeOf("number");
    process.kill(pid as number, "SIGKILL");
    await new Promise((r) => setTimeout(r, 500));
    const again = await ensureLocalDatabase({ dataDir, port: await freePort(), log: silent });
    opened.push(again);
    expect(again.started).toBe(true);
    expect(await query(again.url, "select v from kept")).toEqual([{ v: 7 }]);
    await again.stop();
  });

  it.runIf(process.getuid?.() === 0)("explains when the postgres user cannot reach the data directory (as root)", async () => {
    const closed = join(root, "private");
    mkdirSync(closed, { mode: 0o700 });
    await expect(ensureLocalDatabase({ dataDir: join(closed, "repo", "data", "postgres"), log: silent })).rejects.toThrow(
      `PostgreSQL runs as the unprivileged "postgres" user, which cannot enter ${closed}`,
    );
  });
});
