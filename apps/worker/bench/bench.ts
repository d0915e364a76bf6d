// `pnpm bench`: measures the real worker processes against PostgreSQL and a local HTTP target (no API involved).
//
//   (a) sustained executions per second (completed runs with full history: run row + attempt row) for 1 and 2
//       worker processes, N jobs all due at once; the rate is taken between the 10th and 90th percentile of
//       finished_at, so warm-up and tail are excluded;
//   (b) lag from scheduled_for to the request's arrival at the target, p50/p99, at a steady 100 due jobs per second
//       (6,000 jobs on `S * * * * *` with S = i mod 60: exactly 100 share each second slot);
//   (c) PostgreSQL's own write ceiling on this machine in the same run (`pgbench -N`), and each rate ÷ pgbench tps.
//
// Environment (all optional): BENCH_JOBS (20000), BENCH_CONCURRENCY (128), BENCH_MAX_CLAIMS (256),
// BENCH_LAG_SECONDS (30), BENCH_PGBENCH_SECONDS (15), BENCH_TASK_LOGS (both | on | off; default both),
// BENCH_LOG_LEVEL (the workers' LOG_LEVEL, default info), BENCH_CPU_PROF=1 (workers write .cpuprofile files; the directory is printed and kept),
// BENCH_ONLY (comma-separated subset of throughput,lag,pgbench), BENCH_WORKER=dist (run apps/worker/dist/main.js, built by `pnpm --filter @btick/worker build`, instead of the
// TypeScript sources through tsx), TEST_DATABASE_URL (server to use; default postgresql://postgres@127.0.0.1:5432/postgres).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { migrate } from "@btick/db";
import { createEmptyDatabase, testServerUrl } from "@btick/db/testing";
import pg from "pg";

const workerDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");

const num = (name: string, def: number) => {
  const v = process.env[name];
  const n = v === undefined || v === "" ? def : Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number`);
  return n;
};
const JOBS = num("BENCH_JOBS", 20_000);
const CONCURRENCY = num("BENCH_CONCURRENCY", 128);
const MAX_CLAIMS = num("BENCH_MAX_CLAIMS", 256);
const LAG_SECONDS = num("BENCH_LAG_SECONDS", 30);
const PGBENCH_SECONDS = num("BENCH_PGBENCH_SECONDS", 15);
const TASK_LOGS = process.env.BENCH_TASK_LOGS ?? "both";
const CPU_PROF = process.env.BENCH_CPU_PROF === "1";
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? "info";
const USE_DIST = process.env.BENCH_WORKER === "dist";
const PHASES = new Set((process.env.BENCH_ONLY ?? "throughput,lag,pgbench").split(",").map((p) => p.trim()));
const LAG_PER_SECOND = 100;
/** No phase may take longer than this; the bench fails rather than hang. */
const PHASE_TIMEOUT_MS = 120_000;

const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 23)}] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function findPgbench(): string | null {
  const majors = existsSync("/usr/lib/postgresql") ? readdirSync("/usr/lib/postgresql").sort((a, b) => Number(b) - Number(a)) : [];
  const candidates = [...majors.map((m) => `/usr/lib/postgresql/${m}/bin/pgbench`), "/usr/bin/pgbench", "/usr/local/bin/pgbench"];
  return candidates.find((p) => existsSync(p)) ?? null;
}

// ---------------------------------------------------------------------------------------------------------------
// The HTTP target: minimal work per request; records lag for /lag requests.

interface Target {
  url: string;
  requests: number;
  /** Per /lag request: its slot (ms) and arrival minus slot (ms). */
  lags: { slot: number; lag: number }[];
  close(): Promise<void>;
}

async function startTarget(): Promise<Target> {
  const target: Target = { url: "", requests: 0, lags: [], close: async () => {} };
  const server: Server = createServer((req, res) => {
    const at = Date.now();
    target.requests++;
    if (req.url === "/lag") {
      const slot = req.headers["x-btick-scheduled-for"];
      if (typeof slot === "string") target.lags.push({ slot: Date.parse(slot), lag: at - Date.parse(slot) });
    }
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "text/plain", "content-length": "2" });
      res.end("ok");
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  target.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  target.close = () =>
    new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return target;
}

// ---------------------------------------------------------------------------------------------------------------
// Worker processes.

interface WorkerProc {
  child: ChildProcess;
  exited: Promise<number | null>;
}

/** Every worker process still running, so that an interrupted bench kills them too. */
const live = new Set<ChildProcess>();

async function startWorkers(count: number, env: Record<string, string>, dirs: { out: string; prof: string | null }, tag: string) {
  const procs: WorkerProc[] = [];
  for (let i = 0; i < count; i++) {
    const args = [
      // One directory per process: tsx's loader thread writes a profile of its own next to the main thread's.
      ...(dirs.prof ? ["--cpu-prof", "--cpu-prof-dir", join(dirs.prof, `${tag}-${i + 1}`)] : []),
      ...(USE_DIST ? [join(workerDir, "dist/main.js")] : ["--import", "tsx", join(workerDir, "src/main.ts")]),
    ];
    const out = openSync(join(dirs.out, `${tag}-${i + 1}.log`), "a");
    const child = spawn(process.execPath, args, {
      cwd: workerDir,
      env: { ...process.env, ...env, WORKER_ID: `bench-${tag}-${i + 1}` },
      stdio: ["ignore", out, out],
    });
    closeSync(out);
    live.add(child);
    const exited = new Promise<number | null>((r) =>
      child.once("exit", (code) => {
        live.delete(child);
        r(code);
      }),
    );
    procs.push({ child, exited });
  }
  return procs;
}

async function stopWorkers(procs: WorkerProc[]): Promise<void> {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill("SIGTERM");
  const timer = setTimeout(() => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill("SIGKILL");
  }, 15_000);
  await Promise.all(procs.map((p) => p.exited));
  clearTimeout(timer);
}

/** Waits until every worker has its LISTEN connection up (application_name btick-worker-listen:<id>). */
async function waitForListeners(client: pg.Client, tag: string, count: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { rows } = await client.query<{ n: number }>(
      "select count(*)::int as n from pg_stat_activity where application_name like $1",
      [`btick-worker-listen:bench-${tag}-%`],
    );
    if ((rows[0]?.n ?? 0) >= count) return;
    if (Date.now() > deadline) throw new Error(`workers (${tag}) did not start within 30 s; see their logs`);
    await sleep(100);
  }
}

/** CPU time (ms, user + system) a process has used so far, from /proc (Linux); 0 when unavailable. */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms
  } catch {
    return 0;
  }
}

/** The server backends serving the given workers' pools (same machine), for their CPU time. */
async function backendPids(client: pg.Client, tag: string): Promise<number[]> {
  const { rows } = await client.query<{ pid: number }>(
    "select pid from pg_stat_activity where application_name like $1",
    [`btick-worker:bench-${tag}-%`],
  );
  return rows.map((r) => r.pid);
}

// ---------------------------------------------------------------------------------------------------------------
// Phases.

async function insertTenant(client: pg.Client): Promise<string> {
  const { rows } = await client.query<{ id: string }>("insert into tenants default values returning id");
  return (rows[0] as { id: string }).id;
}

interface ThroughputResult {
  label: string;
  workers: number;
  runs: number;
  perSecond: number;
  wallSeconds: number;
  /** Worker processes' CPU per run (µs), and that of their database sessions. */
  workerCpuUs: number;
  dbCpuUs: number;
}

async function throughputPhase(
  client: pg.Client,
  target: Target,
  opts: { label: string; workers: number; taskLogs: boolean; dirs: { out: string; prof: string | null; logs: string }; tag: string },
): Promise<ThroughputResult> {
  const tenant = await insertTenant(client);
  const env = workerEnv(opts.taskLogs ? join(opts.dirs.logs, opts.tag) : "off");
  const procs = await startWorkers(opts.workers, env, opts.dirs, opts.tag);
  try {
    await waitForListeners(client, opts.tag, opts.workers);
    // A yearly schedule: each job fires once now and not again during the bench.
    await client.query(
      `insert into jobs (tenant_id, name, method, url, cron_expression, timezone, retry_max, timeout_seconds, next_run_at)
       select $1::uuid, 'bench ' || i, 'POST', $2::text, '0 0 1 1 *', 'UTC', 0, 10, now()
       from generate_series(1, $3::int) as i`,
      [tenant, `${target.url}/throughput`, JOBS],
    );
    const workerCpu0 = procs.reduce((a, p) => a + cpuMs(p.child.pid), 0);
    const t0 = Date.now();
    await client.query("select pg_notify('btick_wakeup', '')");
    const dbCpu = new Map<number, number>();
    let done = 0;
    while (done < JOBS) {
      if (Date.now() - t0 > PHASE_TIMEOUT_MS) throw new Error(`${opts.label}: only ${done}/${JOBS} runs finished in time`);
      await sleep(250);
      const { rows } = await client.query<{ n: number }>(
        "select count(*)::int as n from job_runs where tenant_id = $1::uuid and status <> 'running'",
        [tenant],
      );
      done = rows[0]?.n ?? 0;
      // Sessions may come and go with the pool: track each backend's CPU from its first sighting.
      for (const pid of await backendPids(client, opts.tag)) {
        const ms = cpuMs(pid);
        const first = dbCpu.get(-pid);
        if (first === undefined) dbCpu.set(-pid, ms);
        dbCpu.set(pid, ms);
      }
    }
    const workerCpu = procs.reduce((a, p) => a + cpuMs(p.child.pid), 0) - workerCpu0;
    let dbCpuTotal = 0;
    for (const [pid, ms] of dbCpu) if (pid > 0) dbCpuTotal += ms - (dbCpu.get(-pid) ?? ms);
    const wallSeconds = (Date.now() - t0) / 1000;
    const { rows } = await client.query<{ runs: number; t10: number; t90: number; ok: number; attempts: number }>(
      `with finished as (
         select runs.finished_at, runs.status from job_runs as runs where runs.tenant_id = $1::uuid
       )
       select count(*)::int as runs,
         count(*) filter (where finished.status = 'success')::int as ok,
         (select count(*)::int from job_run_attempts as a join job_runs as r on r.id = a.run_id where r.tenant_id = $1::uuid) as attempts,
         extract(epoch from percentile_disc(0.1) within group (order by finished.finished_at))::float8 as t10,
         extract(epoch from percentile_disc(0.9) within group (order by finished.finished_at))::float8 as t90
       from finished`,
      [tenant],
    );
    const r = rows[0] as { runs: number; t10: number; t90: number; ok: number; attempts: number };
    if (r.ok !== JOBS || r.attempts !== JOBS) throw new Error(`${opts.label}: ${r.ok} successful runs and ${r.attempts} attempt rows, expected ${JOBS} each`);
    const perSecond = (0.8 * r.runs) / Math.max(0.001, r.t90 - r.t10);
    const workerCpuUs = (workerCpu * 1000) / JOBS;
    const dbCpuUs = (dbCpuTotal * 1000) / JOBS;
    log(
      `${opts.label}: ${JOBS} runs in ${wallSeconds.toFixed(1)} s wall; ${perSecond.toFixed(0)} runs/s between p10 and p90; ` +
        `CPU per run: worker ${workerCpuUs.toFixed(0)} µs, its database sessions ≥ ${dbCpuUs.toFixed(0)} µs`,
    );
    return { label: opts.label, workers: opts.workers, runs: JOBS, perSecond, wallSeconds, workerCpuUs, dbCpuUs };
  } finally {
    await stopWorkers(procs);
  }
}

interface LagResult {
  /** started_at − scheduled_for (the claim transaction's clock): the part of the lag spent before the claim. */
  claimP50: number;
  claimP99: number;
  samples: number;
  p50: number;
  p99: number;
  max: number;
  missed: number;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;

async function lagPhase(
  client: pg.Client,
  target: Target,
  dirs: { out: string; prof: string | null; logs: string },
): Promise<LagResult> {
  const tenant = await insertTenant(client);
  const procs = await startWorkers(1, workerEnv(join(dirs.logs, "lag")), dirs, "lag");
  try {
    await waitForListeners(client, "lag", 1);
    const jobs = 60 * LAG_PER_SECOND;
    // Job i fires at second (i mod 60) of every minute; its first slot is the next such second at least 2 s away.
    const { rows: start } = await client.query<{ now: Date }>(
      `with inserted as (
       insert into jobs (tenant_id, name, method, url, cron_expression, timezone, retry_max, timeout_seconds, next_run_at)
       select $1::uuid, 'lag ' || i, 'POST', $2::text, (i % 60)::text || ' * * * * *', 'UTC', 0, 10,
         case when slot > now() + interval '2 seconds' then slot else slot + interval '1 minute' end
       from generate_series(0, $3::int - 1) as i,
         lateral (select date_trunc('minute', now()) + (i % 60) * interval '1 second' as slot) as s
       returning 1
       )
       select now() as now, count(*) from inserted`,
      [tenant, `${target.url}/lag`, jobs],
    );
    const begin = (start[0] as { now: Date }).now.getTime();
    // Slots from 3 s after the insert on are all populated (100 each); measure LAG_SECONDS of them.
    const from = Math.ceil((begin + 3000) / 1000) * 1000;
    const until = from + LAG_SECONDS * 1000;
    await sleep(until - Date.now() + 2000);
    const lags = target.lags.filter((l) => l.slot >= from && l.slot < until).map((l) => l.lag);
    const sorted = lags.sort((a, b) => a - b);
    const { rows: claim } = await client.query<{ p50: number; p99: number }>(
      `select percentile_disc(0.5) within group (order by d) as p50, percentile_disc(0.99) within group (order by d) as p99
       from (select extract(epoch from runs.started_at - runs.scheduled_for) * 1000 as d
         from job_runs as runs
         where runs.tenant_id = $1::uuid and runs.scheduled_for >= $2::timestamptz and runs.scheduled_for < $3::timestamptz) as x`,
      [tenant, new Date(from), new Date(until)],
    );
    return {
      claimP50: Math.round(Number(claim[0]?.p50)),
      claimP99: Math.round(Number(claim[0]?.p99)),
      samples: sorted.length,
      p50: quantile(sorted, 0.5),
      p99: quantile(sorted, 0.99),
      max: sorted.at(-1) ?? NaN,
      missed: LAG_SECONDS * LAG_PER_SECOND - sorted.length,
    };
  } finally {
    await stopWorkers(procs);
  }
}

function workerEnv(taskLogPath: string): Record<string, string> {
  return {
    DATABASE_URL: dbUrl,
    LOG_LEVEL: LOG_LEVEL,
    WORKER_CONCURRENCY: String(CONCURRENCY),
    WORKER_MAX_CLAIMS_PER_TICK: String(MAX_CLAIMS),
    WORKER_POLL_INTERVAL_MS: "1000",
    WORKER_TASK_LOG_PATH: taskLogPath,
    WORKER_SHUTDOWN_GRACE_SECONDS: "5",
    RUN_RETENTION_DAYS: "0",
    // The target is on loopback; several processes would fight over one metrics port.
    WORKER_ALLOW_PRIVATE_NETWORKS: "true",
    WORKER_METRICS_PORT: "0",
  };
}

async function pgbenchPhase(pgbench: string): Promise<number> {
  const scratch = await createEmptyDatabase("btick_pgbench");
  try {
    const url = new URL(scratch.url);
    const conn = ["-h", url.hostname, "-p", url.port || "5432", "-U", decodeURIComponent(url.username || "postgres")];
    const env = { ...process.env, ...(url.password ? { PGPASSWORD: decodeURIComponent(url.password) } : {}) };
    const init = spawnSync(pgbench, ["-i", "-q", ...conn, scratch.name], { env, encoding: "utf8" });
    if (init.status !== 0) throw new Error(`pgbench -i failed: ${init.stderr}`);
    const run = spawnSync(pgbench, ["-N", "-c", "4", "-j", "2", "-T", String(PGBENCH_SECONDS), ...conn, scratch.name], {
      env,
      encoding: "utf8",
    });
    if (run.status !== 0) throw new Error(`pgbench failed: ${run.stderr}`);
    const m = /tps = ([\d.]+) \(without initial connection time\)/.exec(run.stdout) ?? /tps = ([\d.]+)/.exec(run.stdout);
    if (!m) throw new Error(`cannot read tps from pgbench output:\n${run.stdout}`);
    return Number(m[1]);
  } finally {
    await scratch.drop();
  }
}

// ---------------------------------------------------------------------------------------------------------------

let dbUrl = "";

async function main(): Promise<void> {
  const startedAt = Date.now();
  const pgbench = findPgbench();
  if (!pgbench) {
    process.stderr.write(
      "pnpm bench needs pgbench (PostgreSQL's benchmark tool) to measure the database's own write ceiling.\n" +
        "On Debian/Ubuntu it ships with the server package of your PostgreSQL major, e.g.:\n" +
        "  apt-get install -y postgresql-15     (then /usr/lib/postgresql/15/bin/pgbench exists)\n" +
        "On other systems install the PostgreSQL client/contrib package that contains `pgbench`.\n",
    );
    process.exit(2);
  }
  const work = await mkdtemp(join(tmpdir(), "btick-bench-"));
  const dirs = { out: work, logs: join(work, "tasks"), prof: CPU_PROF ? join(work, "profiles") : null };
  const db = await createEmptyDatabase("btick_bench");
  dbUrl = db.url;
  const client = new pg.Client({ connectionString: db.url });
  const target = await startTarget();
  let keep = CPU_PROF;
  const cleanup = async () => {
    await client.end().catch(() => {});
    await target.close().catch(() => {});
    await db.drop().catch(() => {});
    if (!keep) await rm(work, { recursive: true, force: true });
  };
  const onSignal = () => {
    for (const child of live) child.kill("SIGKILL");
    void cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    log(`database ${db.name} on ${new URL(testServerUrl).host}; worker: ${USE_DIST ? "dist/main.js" : "src/main.ts via tsx"}`);
    await migrate(db.url);
    await client.connect();
    const results: ThroughputResult[] = [];
    const logModes = !PHASES.has("throughput") ? [] : TASK_LOGS === "both" ? [false, true] : [TASK_LOGS !== "off"];
    for (const taskLogs of logModes) {
      results.push(
        await throughputPhase(client, target, {
          label: `executions/s, 1 worker, task log files ${taskLogs ? "on" : "off"}`,
          workers: 1,
          taskLogs,
          dirs,
          tag: `t1-${taskLogs ? "logs" : "nologs"}`,
        }),
      );
    }
    // Two workers in the faster configuration measured above.
    const twoLogs = logModes.length === 0 ? undefined : !logModes.includes(false);
    if (twoLogs !== undefined) {
      results.push(
        await throughputPhase(client, target, {
          label: `executions/s, 2 workers, task log files ${twoLogs ? "on" : "off"}`,
          workers: 2,
          taskLogs: twoLogs,
          dirs,
          tag: `t2-${twoLogs ? "logs" : "nologs"}`,
        }),
      );
    }
    let lag: LagResult | null = null;
    if (PHASES.has("lag")) {
      log(`lag at ${LAG_PER_SECOND} jobs/s for ${LAG_SECONDS} s (1 worker, task log files on)`);
      lag = await lagPhase(client, target, dirs);
    }
    let tps = NaN;
    if (PHASES.has("pgbench")) {
      log(`pgbench -N -c 4 -j 2 -T ${PGBENCH_SECONDS}`);
      tps = await pgbenchPhase(pgbench);
    }

    const rows: [string, string, string][] = [
      ...results.flatMap((r): [string, string, string][] => [
        [r.label, r.perSecond.toFixed(0), (r.perSecond / tps).toFixed(2)],
        ["  CPU per run: worker process(es) / their Postgres sessions", `${r.workerCpuUs.toFixed(0)} / ${r.dbCpuUs.toFixed(0)} µs`, ""],
      ]),
    ];
    if (lag) rows.push(
      [
        `lag scheduled_for → request at target, ${LAG_PER_SECOND} jobs/s (p50 / p99 / max, ${lag.samples} runs${lag.missed ? `, ${lag.missed} missing` : ""})`,
        `${lag.p50} / ${lag.p99} / ${lag.max} ms`,
        "",
      ],
      [
        "  of which scheduled_for → claim (run's started_at), p50 / p99",
        `${lag.claimP50} / ${lag.claimP99} ms`,
        "",
      ],
    );
    rows.push([`pgbench -N -c 4 -j 2 -T ${PGBENCH_SECONDS} (tps)`, tps.toFixed(0), "1.00"]);
    const w: [number, number, number] = [
      Math.max(...rows.map((r) => r[0].length), 11),
      Math.max(...rows.map((r) => r[1].length), 5),
      17,
    ];
    const line = (c: [string, string, string]) => `| ${c[0].padEnd(w[0])} | ${c[1].padStart(w[1])} | ${c[2].padStart(w[2])} |`;
    const out = [
      `BTick worker bench: ${JOBS} jobs per throughput phase, concurrency ${CONCURRENCY}, claims/tick ${MAX_CLAIMS}, ` +
        `${cpus().length} CPUs, node ${process.version}, ${Math.round((Date.now() - startedAt) / 1000)} s`,
      line(["measurement", "value", "÷ pgbench tps"]),
      `|${"-".repeat(w[0] + 2)}|${"-".repeat(w[1] + 2)}|${"-".repeat(w[2] + 2)}|`,
      ...rows.map(line),
    ];
    process.stdout.write(`${out.join("\n")}\n`);
    if (dirs.prof) process.stdout.write(`CPU profiles: ${dirs.prof}\n`);
  } catch (err) {
    keep = true;
    process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\nworker logs kept in ${work}\n`);
    process.exitCode = 1;
  } finally {
    await cleanup();
  }
}

await main();
