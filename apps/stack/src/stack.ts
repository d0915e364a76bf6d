// The stack of `pnpm start` (entry: start.ts): the database (DATABASE_URL, or an embedded PostgreSQL under
// data/postgres), then the API and the worker as child processes. Ctrl-C / SIGTERM stops the services first and the
// database last; if a service dies, everything stops and the exit code is non-zero.
import { hostname } from "node:os";
import { isAbsolute, join, relative, resolve } from "node:path";

import { ConfigError } from "@btick/config";
import { defaultDataDir, ensureLocalDatabase, repoRoot, type LocalDatabase } from "@btick/local-db";

import { tailOf, watchPostmaster } from "./database.ts";
import { inheritedEnv, loadDotEnv, loadStackEnv, type StackEnv } from "./env.ts";
import { isRunning, startService, stopService, type Service } from "./services.ts";

/** Defaults of `pnpm start` that differ from the services' own (a variable set in the environment or .env wins). */
export const LOCAL_DEFAULTS = { API_ALLOW_PRIVATE_NETWORKS: "true", WORKER_ALLOW_PRIVATE_NETWORKS: "true" } as const;

/** Longer than the worker's default shutdown grace (30 s), so in-flight runs can finish. */
const STOP_GRACE_MS = 40_000;

const say = (line: string) => process.stdout.write(`[stack] ${line}\n`);
const redact = (url: string) => url.replace(/(\/\/[^:/@]+:)[^@/]*@/, "$1***@");

function readEnv(): StackEnv {
  try {
    loadDotEnv();
    return loadStackEnv();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`[stack] ${err.message.split("\n").join("; ")}\n`);
      process.exit(1);
    }
    throw err;
  }
}

async function waitForApi(url: string, api: Service, timeoutMs = 120_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && isRunning(api)) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

export interface StackOptions {
  /** Cluster directory of the embedded PostgreSQL; default `<repo>/data/postgres` (tests use their own). */
  dataDir?: string;
}

async function main(options: StackOptions): Promise<void> {
  const env = readEnv();
  let local: LocalDatabase | null = null;
  let databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) {
    local = await ensureLocalDatabase({ dataDir: options.dataDir, log: (m) => say(`postgres: ${m}`) });
    databaseUrl = local.url;
    if (!local.started) say(`using the PostgreSQL already running for data/postgres (port ${local.port})`);
  }

  // The local quick start targets services on this machine (http://localhost:3000/hook …): unless the environment
  // or .env says otherwise, it allows private networks on both sides (see README, "Targeting localhost").
  const base: NodeJS.ProcessEnv = { ...inheritedEnv(), DATABASE_URL: databaseUrl };
  for (const [name, value] of Object.entries(LOCAL_DEFAULTS)) if (!base[name]?.trim()) base[name] = value;
  const taskLogs = env.WORKER_TASK_LOG_PATH ?? "logs/tasks";
  const services: Service[] = [
    startService({ name: "api", appDir: join(repoRoot, "apps", "api"), env: base, color: "\x1b[36m" }),
    startService({
      name: "worker",
      appDir: join(repoRoot, "apps", "worker"),
      env: {
        ...base,
        WORKER_ID: env.WORKER_ID ?? `${hostname()}-worker-${process.pid}`,
        // The worker runs in apps/worker; relative paths stay relative to the repository root.
        WORKER_TASK_LOG_PATH: isAbsolute(taskLogs) ? taskLogs : resolve(repoRoot, taskLogs),
      },
      color: "\x1b[35m",
    }),
  ];

  let stopping: Promise<never> | undefined;
  const stopAll = (code: number): Promise<never> =>
    (stopping ??= (async () => {
      await Promise.all(services.map((s) => stopService(s, STOP_GRACE_MS)));
      await local?.stop();
      process.exit(code);
    })());

  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (firstSignalAt === 0) {
      firstSignalAt = Date.now();
      say(`${signal}: stopping the services (Ctrl-C again to force)`);
      void stopAll(0);
    } else if (Date.now() - firstSignalAt > 500) {
      say("forcing the services to stop");
      for (const s of services) if (isRunning(s)) s.child.kill("SIGKILL");
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("SIGHUP", onSignal);

  for (const s of services) {
    void s.exited.then((code) => {
      if (stopping) return;
      say(`${s.name} exited unexpectedly (code ${code}); stopping everything`);
      void stopAll(code === 0 ? 1 : code);
    });
  }

  // The embedded database dying (a crash, the OOM killer, kill -9) stops everything too: without it the services
  // would only answer 503. It is not restarted here; `pnpm start` again restarts it (it recovers its data).
  if (local) {
    const logFile = local.logFile;
    const watch = watchPostmaster(options.dataDir ?? defaultDataDir, (pid) => {
      if (stopping) return;
      say(`PostgreSQL (pid ${pid}) exited unexpectedly; stopping everything. Run pnpm start again to restart it.`);
      const tail = tailOf(logFile);
      if (tail.length > 0) say(`last lines of ${logFile}:\n${tail.map((l) => `[stack]   ${l}`).join("\n")}`);
      void stopAll(1);
    });
    if (!watch) say("warning: cannot find the PostgreSQL process to watch (no postmaster.pid)");
  }

  const localHost = ["0.0.0.0", "::", "127.0.0.1", "localhost"].includes(env.HOST) ? "localhost" : env.HOST;
  const origin = `http://${localHost}:${env.PORT}`;
  const probe = `http://${localHost === "localhost" ? "127.0.0.1" : localHost}:${env.PORT}/healthz`;
  const api = services[0] as Service;
  if (env.PORT !== 0 && !(await waitForApi(probe, api))) {
    if (!stopping) {
      say(`the API did not answer on ${probe}; stopping`);
      await stopAll(1);
    }
    return;
  }
  if (stopping) return;
  // The web UI is served at "/" by the API once it exists; only advertise it when it answers.
  const uiStatus = await fetch(probe.replace(/\/healthz$/, "/"), { signal: AbortSignal.timeout(2000) }).then(
    (r) => r.status,
    () => 0,
  );
  say("BTick is running");
  if (uiStatus > 0 && uiStatus < 400) say(`  UI       ${origin}/`);
  say(`  API      ${origin}/api/v1`);
  say(`  OpenAPI  ${origin}/api/v1/openapi.json`);
  say(`  tRPC     ${origin}/trpc`);
  const workerMetricsPort = base.WORKER_METRICS_PORT?.trim() || "9464";
  say(`  Metrics  ${origin}/metrics${workerMetricsPort === "0" ? "" : ` and http://${localHost}:${workerMetricsPort}/metrics (worker)`}`);
  if (base.WORKER_ALLOW_PRIVATE_NETWORKS === "true") say("  Jobs may call localhost and private networks (local default; see README, \"Targeting localhost\")");
  say(`  Database ${redact(databaseUrl)}${local ? ` (embedded, data in ${relative(repoRoot, options.dataDir ?? defaultDataDir)})` : ""}`);
  say("First user and key: pnpm btick admin create-user --email you@example.com --password 'choose-a-password'");
  say("                    pnpm btick admin create-api-key --email you@example.com --name cli --scopes jobs:read,jobs:write,jobs:trigger,runs:read");
  say("Press Ctrl-C to stop.");
}

/** Runs the stack until a signal, or until a part of it dies; the process then exits. */
export function runStack(options: StackOptions = {}): void {
  main(options).catch((err: unknown) => {
    process.stderr.write(`[stack] failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
