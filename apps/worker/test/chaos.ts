// Chaos run: 3 real worker processes (`tsx src/main.ts`), a few hundred jobs on seconds-level schedules against a
// local HTTP target that records every call, while:
// - one worker is SIGKILLed and restarted every few seconds, and once all Postgres sessions of one worker are cut
//   with pg_terminate_backend;
// - once, every worker is SIGKILLed and the fleet stays down for longer than the misfire threshold (an outage);
// - jobs are edited (new schedule), paused and resumed, deleted and triggered by hand through the API's procedures.
// Most jobs use the default policies (concurrency forbid, misfire fire_once); some allow, replace, skip, catch_up.
// After the chaos the jobs are paused and the surviving workers must recover on their own (the killed workers' runs
// are marked lost by their sweeps); the harness only checks, and prints:
// - every slot due while at least one worker lived has its own run row (executed: success, failed, cancelled; or
//   recorded: skipped by policy, lost on a killed worker); a slot due during the outage has its own row or lies in a
//   misfire gap recorded by a skipped row. Expected slots are computed independently of the scheduler: a
//   `*/N * * * * *` schedule fires at every multiple of N seconds;
// - each slot is called under one run id, and each attempt of a run once: repeated calls are only documented retries
//   (the next attempt after a 5xx or a timeout, identical idempotency headers);
// - attempt rows match the calls: a finished run has one row per call, a lost or cancelled run no more rows than calls;
// - every manual trigger became exactly one run; lost runs belong to killed workers only; no run is left running.
//
// Usage: `pnpm test:chaos` (default 90 s), or `node --import tsx apps/worker/test/chaos.ts --duration 30 --jobs 300`.
// test/chaos.test.ts runs a short form inside `pnpm test`.
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";

import { createCaller, createContext, DEFAULT_JOB_LIMITS } from "@btick/contract";
import { createTenantWithKey } from "@btick/contract/testing";
import type { Db } from "@btick/db";
import { createTestDatabase } from "@btick/db/testing";

import { MISFIRE_SKIPPED_PREFIX } from "../src/policy.ts";

const appDir = fileURLToPath(new URL("..", import.meta.url));

export interface ChaosOptions {
  durationMs: number;
  jobs: number;
  workers: number;
  killEveryMs: number;
  leaseSeconds: number;
  /** How long the whole fleet stays down once, in the middle of the chaos (0: no outage). */
  outageMs: number;
  /** The workers' WORKER_MISFIRE_THRESHOLD_SECONDS (shorter than the outage, so that it misfires). */
  misfireThresholdSeconds: number;
  /** Pause between two API operations (edit, pause, resume, delete, trigger). */
  apiEveryMs: number;
  /** When set, each worker's stdout (pino JSON, LOG_LEVEL warn) goes to `<logDir>/<worker id>.log`. */
  logDir?: string;
  log?: (line: string) => void;
}

interface Call {
  jobId: string;
  runId: string;
  slot: string;
  attempt: number;
  idem: string;
  status: number;
  at: number;
  /** The connection closed before our answer was sent (the worker's attempt timed out or was aborted). */
  closedEarly: boolean;
}

export interface ChaosReport {
  counts: Record<string, number>;
  violations: string[];
}

interface JobSpec {
  /** Fires every `every` seconds: `*\/every * * * * *` (every divides 60, so slots are multiples of it). */
  every: number;
  concurrency: "forbid" | "allow" | "replace";
  misfire: "fire_once" | "skip" | "catch_up";
  retryMax: number;
  /** Target latency for this job's calls. */
  latencyMs: [number, number];
  /** Share of first attempts answered 503. */
  failRate: number;
}

const cronOf = (every: number) => (every === 1 ? "* * * * * *" : `*/${every} * * * * *`);

// Per 20 jobs: slow jobs that overlap their next slot under each concurrency policy, retried jobs (503s), plain ones;
// 13 of 20 on the default policies (forbid, fire_once). About 5 executions per second per 20 jobs.
function specFor(i: number): JobSpec {
  const kind = i % 20;
  const base = { concurrency: "forbid" as const, misfire: "fire_once" as const, retryMax: 0, failRate: 0, latencyMs: [5, 100] as [number, number] };
  if (kind === 0) return { ...base, every: 1, latencyMs: [1200, 1600] };
  if (kind === 1) return { ...base, every: 2, concurrency: "replace", latencyMs: [2500, 3000] };
  if (kind === 2) return { ...base, every: 2, concurrency: "allow", latencyMs: [1500, 2500] };
  if (kind <= 5) return { ...base, every: 4, retryMax: 2, latencyMs: [5, 50], failRate: 0.3 };
  if (kind <= 8) return { ...base, every: 5, retryMax: 1, failRate: 0.1 };
  if (kind <= 12) return { ...base, every: 5 };
  if (kind === 13) return { ...base, every: 5, misfire: "skip" };
  if (kind === 14) return { ...base, every: 2, misfire: "catch_up" };
  return { ...base, every: 10, concurrency: "allow" };
}

const rand = (lo: number, hi: number) => lo + Math.random() * (hi - lo);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A slot this close to an edit, pause or resume may belong to either side of it: not checked. */
const EDIT_MARGIN_MS = 3000;

/** The schedule of one job over time, as the harness changed it through the API. */
interface Timeline {
  /** Active stretches: slots of `every` in [from, to] are due (`to` null: until the end). */
  stretches: { every: number; from: number; to: number | null }[];
  deletedAt: number | null;
  /** When the API changed the job (edit, pause, resume, delete). */
  changes: number[];
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const log = opts.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const t0 = Date.now();
  const phase = (name: string) => log(`chaos: +${((Date.now() - t0) / 1000).toFixed(1)} s ${name}`);
  const tdb = await createTestDatabase();
  const db = tdb.prisma;
  const calls: Call[] = [];
  const specs = new Map<string, JobSpec>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const h = (n: string) => String(req.headers[n] ?? "");
    req.resume();
    req.on("end", () => {
      const jobId = h("x-btick-job-id");
      const spec = specs.get(jobId);
      const attempt = Number(h("x-btick-attempt"));
      const status = spec && attempt === 1 && Math.random() < spec.failRate ? 503 : 200;
      const call: Call = {
        jobId,
        runId: h("x-btick-run-id"),
        slot: h("x-btick-scheduled-for"),
        attempt,
        idem: h("idempotency-key"),
        status,
        at: Date.now(),
        closedEarly: false,
      };
      calls.push(call);
      res.on("close", () => {
        if (!res.writableFinished) call.closedEarly = true;
      });
      const [lo, hi] = spec?.latencyMs ?? [0, 0];
      setTimeout(() => {
        if (res.destroyed) return;
        res.writeHead(status, status === 503 ? { "retry-after": "0" } : {});
        res.end(status === 200 ? "ok" : "try again");
      }, rand(lo, hi));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const targetUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const procs = new Map<number, { child: ChildProcess; id: string; exited: Promise<void> }>();
  const killedIds = new Set<string>();
  let generation = 0;
  const counts: Record<string, number> = {};
  const bump = (k: string, n = 1) => (counts[k] = (counts[k] ?? 0) + n);

  const startWorker = (slot: number) => {
    const id = `chaos-w${slot}-g${++generation}`;
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      cwd: appDir,
      env: {
        PATH: process.env.PATH ?? "",
        DATABASE_URL: tdb.url,
        WORKER_ID: id,
        WORKER_CONCURRENCY: "64",
        WORKER_POLL_INTERVAL_MS: "250",
        WORKER_STALE_CLAIM_SECONDS: String(opts.leaseSeconds),
        WORKER_MISFIRE_THRESHOLD_SECONDS: String(opts.misfireThresholdSeconds),
        WORKER_TASK_LOG_PATH: "off",
        WORKER_SHUTDOWN_GRACE_SECONDS: "3",
        WORKER_HTTP_TIMEOUT_SECONDS: "10",
        // The target is on loopback; three processes would fight over one metrics port.
        WORKER_ALLOW_PRIVATE_NETWORKS: "true",
        WORKER_METRICS_PORT: "0",
        LOG_LEVEL: opts.logDir ? "warn" : "error",
      },
      stdio: ["ignore", opts.logDir ? "pipe" : "ignore", "pipe"],
    });
    if (opts.logDir) child.stdout?.pipe(createWriteStream(`${opts.logDir}/${id}.log`));
    let err = "";
    child.stderr?.on("data", (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    const exited = new Promise<void>((r) =>
      child.on("exit", (code, signal) => {
        if (signal === null && code !== 0) log(`worker ${id} exited with ${code ?? signal}: ${err.trim().slice(-500)}`);
        r();
      }),
    );
    procs.set(slot, { child, id, exited });
    bump("worker processes started");
    return id;
  };
  const kill = async (slot: number, why: string) => {
    const victim = procs.get(slot);
    if (!victim) return;
    victim.child.kill("SIGKILL");
    await victim.exited;
    killedIds.add(victim.id);
    procs.delete(slot);
    bump(`workers SIGKILLed ${why}`);
  };

  try {
    const tenant = await createTenantWithKey(db);
    const api = createCaller(
      await createContext({ db, authorization: `Bearer ${tenant.rawKey}`, limits: { ...DEFAULT_JOB_LIMITS, allowPrivateNetworks: true } }),
    );
    // Jobs are created unscheduled (next_run_at null); they get their first slot once every worker is up.
    const rows = Array.from({ length: opts.jobs }, (_, i) => {
      const spec = specFor(i);
      const id = randomUUID();
      specs.set(id, spec);
      return {
        id,
        tenantId: tenant.tenantId,
        name: `chaos ${i}`,
        method: "POST",
        url: `${targetUrl}/job/${i}`,
        body: { i },
        cronExpression: cronOf(spec.every),
        retryMax: spec.retryMax,
        timeoutSeconds: 5,
        concurrencyPolicy: spec.concurrency,
        misfirePolicy: spec.misfire,
        misfireCatchUpMax: 5,
        nextRunAt: null,
      };
    });
    await db.job.createMany({ data: rows });
    log(
      `chaos: ${opts.jobs} jobs, ${opts.workers} workers, ${Math.round(opts.durationMs / 1000)} s, kill every ${opts.killEveryMs} ms, ` +
        `lease ${opts.leaseSeconds} s, outage ${opts.outageMs} ms, misfire threshold ${opts.misfireThresholdSeconds} s`,
    );

    for (let w = 0; w < opts.workers; w++) startWorker(w);
    phase("jobs created, workers starting");
    await waitForWorkers(db, [...procs.values()].map((p) => p.id));
    phase("workers up; chaos phase begins");
    // Every job's first slot: the first multiple of its period at least a second away.
    const windowStart = Date.now() + 1000;
    const ids = [...specs.keys()];
    const firsts = ids.map((id) => new Date(Math.ceil(windowStart / ((specs.get(id) as JobSpec).every * 1000)) * (specs.get(id) as JobSpec).every * 1000));
    await db.$executeRaw`
update jobs as jobs set next_run_at = input.first
from unnest(${ids}::uuid[], ${firsts}::timestamptz[]) as input(id, first)
where jobs.id = input.id`;
    const timelines = new Map<string, Timeline>(
      ids.map((id, i) => [id, { stretches: [{ every: (specs.get(id) as JobSpec).every, from: (firsts[i] as Date).getTime(), to: null }], deletedAt: null, changes: [] }]),
    );
    /** Spans with no live worker: [killed, first worker up again]. */
    const outages: { from: number; to: number }[] = [];
    const triggers: { id: string; jobId: string }[] = [];
    const paused = new Set<string>();
    const deleted = new Set<string>();

    await sleep(windowStart - Date.now());
    const endAt = windowStart + opts.durationMs;

    // API traffic all along the chaos phase.
    let apiRunning = true;
    const apiLoop = (async () => {
      const jobIds = [...specs.keys()];
      const pick = () => jobIds[Math.floor(Math.random() * jobIds.length)] as string;
      while (apiRunning) {
        await sleep(opts.apiEveryMs * rand(0.5, 1.5));
        if (!apiRunning) break;
        const jobId = pick();
        const tl = timelines.get(jobId) as Timeline;
        if (deleted.has(jobId)) continue;
        const r = Math.random();
        const before = Date.now();
        try {
          if (r >= 0.4 && r < 0.9) tl.changes.push(before);
          if (r < 0.4) {
            const t = await api.jobs.trigger({ jobId });
            triggers.push({ id: t.trigger_id, jobId });
            bump("api: manual triggers");
          } else if (r < 0.65 && !paused.has(jobId)) {
            const every = [2, 4, 5, 10].filter((e) => e !== (tl.stretches.at(-1) as Timeline["stretches"][number]).every)[Math.floor(Math.random() * 3)] as number;
            await api.jobs.update({ jobId, cron_expression: cronOf(every) });
            const after = Date.now();
            (tl.stretches.at(-1) as Timeline["stretches"][number]).to = before - EDIT_MARGIN_MS;
            tl.stretches.push({ every, from: after, to: null });
            bump("api: schedule edits");
          } else if (r < 0.85) {
            if (paused.has(jobId)) {
              await api.jobs.resume({ jobId });
              paused.delete(jobId);
              const last = tl.stretches.at(-1) as Timeline["stretches"][number];
              tl.stretches.push({ every: last.every, from: Date.now(), to: null });
              bump("api: resumes");
            } else {
              await api.jobs.pause({ jobId });
              paused.add(jobId);
              (tl.stretches.at(-1) as Timeline["stretches"][number]).to = before - EDIT_MARGIN_MS;
              bump("api: pauses");
            }
          } else if (r < 0.9) {
            await api.jobs.delete({ jobId });
            deleted.add(jobId);
            tl.deletedAt = before;
            bump("api: deletes");
          }
        } catch (err) {
          bump("api: failed calls");
          log(`chaos: API call failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    })();

    let cutDone = false;
    let outageDone = opts.outageMs <= 0;
    const cutAt = windowStart + opts.durationMs * 0.25;
    const outageAt = windowStart + opts.durationMs * 0.5;
    while (Date.now() < endAt) {
      await sleep(Math.min(opts.killEveryMs * rand(0.7, 1.3), Math.max(0, endAt - Date.now())));
      if (Date.now() >= endAt) break;
      if (!outageDone && Date.now() >= outageAt) {
        outageDone = true;
        const from = Date.now();
        for (const slot of [...procs.keys()]) await kill(slot, "all at once (outage)");
        phase("outage: every worker killed");
        await sleep(opts.outageMs);
        const restarted = [];
        for (let w = 0; w < opts.workers; w++) restarted.push(startWorker(w));
        await waitForAnyWorker(db, restarted);
        outages.push({ from, to: Date.now() });
        phase("outage over: a worker is up again");
        continue;
      }
      if (!cutDone && Date.now() >= cutAt) {
        cutDone = true;
        // A worker that is up (has sessions), not one still starting.
        const connected = await db.$queryRaw<{ name: string }[]>`
select distinct activity.application_name as name from pg_stat_activity as activity
where activity.application_name like 'btick-worker:chaos-%'`;
        const up = new Set(connected.map((c) => c.name.slice("btick-worker:".length)));
        const victim = [...procs.values()].find((p) => up.has(p.id));
        if (victim) {
          const rows = await db.$queryRaw<{ n: number }[]>`
select count(pg_terminate_backend(activity.pid))::int as n
from pg_stat_activity as activity
where activity.application_name in (${`btick-worker:${victim.id}`}::text, ${`btick-worker-listen:${victim.id}`}::text)`;
          bump("postgres sessions terminated", rows[0]?.n ?? 0);
          log(`chaos: terminated ${rows[0]?.n ?? 0} Postgres sessions of ${victim.id}`);
        }
        continue;
      }
      const slot = Math.floor(Math.random() * opts.workers);
      await kill(slot, "one at a time");
      startWorker(slot);
    }
    apiRunning = false;
    await apiLoop;
    const windowEnd = Date.now();
    phase("chaos phase over");

    // Drain: the workers keep running, unharmed, until every slot of the window has been claimed.
    const drainDeadline = Date.now() + 60_000;
    while (Date.now() < drainDeadline) {
      const behind = await db.$queryRaw<{ n: number }[]>`
select (select count(*)::int from jobs as jobs where jobs.enabled and jobs.next_run_at <= ${new Date(windowEnd)}::timestamptz)
  + (select count(*)::int from manual_job_triggers as triggers where triggers.completed_at is null) as n`;
      if ((behind[0]?.n ?? 0) === 0) break;
      await sleep(250);
    }
    bump("drain ms after the chaos phase", Date.now() - windowEnd);
    // No new slots from here on; the surviving workers finish their runs and, by their own sweeps, mark the runs of
    // the workers killed during the chaos lost. The harness only waits (bounded) and then checks.
    await db.job.updateMany({ data: { enabled: false, nextRunAt: null } });
    phase("drained; jobs paused, waiting for the workers to settle");
    const settleDeadline = Date.now() + (opts.leaseSeconds * 2 + 15) * 1000;
    for (;;) {
      const running = await db.jobRun.count({ where: { status: "running" } });
      if (running === 0) break;
      if (Date.now() > settleDeadline) {
        log(`chaos: ${running} runs still running when the wait ended`);
        break;
      }
      await sleep(250);
    }
    bump("settle ms (in-flight runs finish, killed workers' runs swept lost)", Date.now() - windowEnd - (counts["drain ms after the chaos phase"] ?? 0));
    // Graceful stop: no new claims, nothing left in flight.
    for (const p of procs.values()) p.child.kill("SIGTERM");
    await Promise.all([...procs.values()].map((p) => p.exited));
    phase("workers stopped; checking");

    // ---- checks ----
    const violations: string[] = [];
    const runs = await db.jobRun.findMany({
      select: {
        id: true,
        jobId: true,
        scheduledFor: true,
        status: true,
        workerId: true,
        triggerType: true,
        triggerId: true,
        attemptNumber: true,
        errorMessage: true,
        attempts: { select: { attemptNumber: true, outcome: true } },
      },
    });
    const runById = new Map(runs.map((r) => [r.id, r]));
    for (const r of runs) bump(`runs ${r.status}`);
    bump("runs total", runs.length);
    bump("target calls", calls.length);
    const liveJob = (jobId: string) => !deleted.has(jobId);

    // 1. Each slot is called under one run id, each attempt once; repeats are documented retries.
    const callsBySlot = new Map<string, Call[]>();
    for (const c of calls) {
      const k = `${c.jobId}/${c.slot}`;
      callsBySlot.set(k, [...(callsBySlot.get(k) ?? []), c]);
    }
    const twoRuns = [...callsBySlot.entries()].filter(([, cs]) => new Set(cs.map((c) => c.runId)).size > 1);
    bump("slots called under two run ids", twoRuns.length);
    if (twoRuns.length > 0) violations.push(`slots called under more than one run id: ${twoRuns.slice(0, 5).map(([k]) => k).join(", ")}`);
    const callsByRun = new Map<string, Call[]>();
    for (const c of calls) callsByRun.set(c.runId, [...(callsByRun.get(c.runId) ?? []), c]);
    let retries = 0;
    let badRepeats = 0;
    let duplicateAttempts = 0;
    for (const [runId, cs] of callsByRun) {
      cs.sort((a, b) => a.attempt - b.attempt || a.at - b.at);
      const spec = specs.get(cs[0]?.jobId ?? "");
      if (new Set(cs.map((c) => c.attempt)).size < cs.length) duplicateAttempts++;
      for (let i = 0; i < cs.length; i++) {
        const c = cs[i] as Call;
        const prev = cs[i - 1];
        const ok =
          c.attempt === i + 1 &&
          c.idem === runId &&
          c.slot === cs[0]?.slot &&
          c.jobId === cs[0]?.jobId &&
          (i === 0 || (prev !== undefined && (prev.status >= 500 || prev.closedEarly) && i <= (spec?.retryMax ?? 0)));
        if (!ok) {
          badRepeats++;
          if (badRepeats <= 3) log(`debug: repeated call ${JSON.stringify(cs)}`);
        }
        if (i > 0) retries++;
      }
    }
    bump("documented retries (same idempotency headers)", retries);
    bump("calls outside documented retries (repeated attempt, wrong order or headers)", badRepeats);
    bump("slots called more than once outside documented retries", duplicateAttempts);
    if (badRepeats > 0) violations.push(`${badRepeats} repeated calls were not documented retries`);
    if (duplicateAttempts > 0) violations.push(`${duplicateAttempts} runs had an attempt called twice`);
    const unknownRuns = [...callsByRun.keys()].filter((id) => !runById.has(id) && liveJob(callsByRun.get(id)?.[0]?.jobId ?? ""));
    bump("calls for runs without a row (jobs not deleted)", unknownRuns.length);
    if (unknownRuns.length > 0) violations.push(`${unknownRuns.length} called run ids have no run row`);

    // 2. Attempt rows match the calls.
    let attemptMismatch = 0;
    for (const r of runs) {
      const cs = callsByRun.get(r.id) ?? [];
      const numbers = r.attempts.map((a) => a.attemptNumber).sort((a, b) => a - b);
      const contiguous = numbers.every((n, i) => n === i + 1);
      const unmatched = r.attempts.filter((a) => a.outcome !== "network_error" && !cs.some((c) => c.attempt === a.attemptNumber)).length;
      const finished = r.status === "success" || r.status === "failed";
      const ok = contiguous && unmatched === 0 && (finished ? numbers.length === cs.length && r.attemptNumber === cs.length : numbers.length <= cs.length);
      if (!ok) {
        attemptMismatch++;
        if (attemptMismatch <= 3) log(`debug: attempts of ${r.id} (${r.status}, attempt_number ${r.attemptNumber}): rows ${JSON.stringify(numbers)}, calls ${JSON.stringify(cs.map((c) => c.attempt))}`);
      }
    }
    bump("runs whose attempt rows do not match their calls", attemptMismatch);
    if (attemptMismatch > 0) violations.push(`${attemptMismatch} runs have attempt rows that do not match the calls made`);

    // 3. Coverage of the window, computed from the schedules the harness set (multiples of each period).
    const rowsBySlot = new Set(runs.map((r) => `${r.jobId}/${r.scheduledFor.getTime()}`));
    const gaps = new Map<string, { from: number; to: number }[]>();
    for (const r of runs) {
      if (r.status !== "skipped" || !r.errorMessage?.startsWith(MISFIRE_SKIPPED_PREFIX)) continue;
      const m = /slots from (\S+) to before (\S+) /.exec(r.errorMessage);
      if (m) gaps.set(r.jobId, [...(gaps.get(r.jobId) ?? []), { from: Date.parse(m[1] as string), to: Date.parse(m[2] as string) }]);
    }
    bump("misfire gap rows", [...gaps.values()].reduce((n, g) => n + g.length, 0));
    // A slot due while no worker lived (up to a threshold after the first worker was back) may have been handled by
    // the misfire policy: its own row, or a gap row covering it; or made moot by an API change before any worker
    // could claim it (a pause, an edit).
    const graceMs = opts.misfireThresholdSeconds * 1000;
    const outageOf = (at: number) => outages.find((o) => at >= o.from && at <= o.to + graceMs);
    let expected = 0;
    let missing = 0;
    let gapCovered = 0;
    let superseded = 0;
    const missingExamples: string[] = [];
    for (const [jobId, tl] of timelines) {
      if (tl.deletedAt !== null) continue;
      for (const s of tl.stretches) {
        const every = s.every * 1000;
        const to = Math.min(s.to ?? windowEnd, windowEnd);
        for (let at = Math.ceil(Math.max(s.from, windowStart) / every) * every; at <= to; at += every) {
          expected++;
          if (rowsBySlot.has(`${jobId}/${at}`)) continue;
          const outage = outageOf(at);
          if (outage && (gaps.get(jobId) ?? []).some((g) => at >= g.from && at < g.to)) {
            gapCovered++;
            continue;
          }
          if (outage && tl.changes.some((c) => c >= at - EDIT_MARGIN_MS && c <= outage.to + graceMs)) {
            superseded++;
            continue;
          }
          missing++;
          if (missingExamples.length < 5) missingExamples.push(`${jobId}/${new Date(at).toISOString()}`);
        }
      }
    }
    bump("slots due in the window (checked)", expected);
    bump("slots due during the outage covered by a misfire gap row", gapCovered);
    bump("slots due during the outage made moot by an API change before a worker was back", superseded);
    bump("due slots without a row", missing);
    if (missing > 0) {
      violations.push(`${missing} due slots have no run row, e.g. ${missingExamples.join(", ")}`);
      const first = missingExamples[0]?.split("/")[0] ?? "";
      const rowsOfFirst = runs.filter((r) => r.jobId === first).map((r) => `${r.scheduledFor.toISOString()} ${r.status}`);
      log(`debug: job ${first} ${JSON.stringify(specs.get(first))} ${JSON.stringify(timelines.get(first))} rows: ${rowsOfFirst.join(", ")}`);
    }

    // 4. Every manual trigger became exactly one run.
    const runsByTrigger = new Map<string, number>();
    for (const r of runs) if (r.triggerId) runsByTrigger.set(r.triggerId, (runsByTrigger.get(r.triggerId) ?? 0) + 1);
    const badTriggers = triggers.filter((t) => liveJob(t.jobId) && runsByTrigger.get(t.id) !== 1).length;
    bump("manual triggers without exactly one run", badTriggers);
    if (badTriggers > 0) violations.push(`${badTriggers} manual triggers did not become exactly one run`);

    // 5. Lost runs belong to killed workers only; how many of them never reached the target; nothing left running.
    const lost = runs.filter((r) => r.status === "lost");
    const lostElsewhere = lost.filter((r) => !killedIds.has(r.workerId ?? "")).length;
    bump("lost runs on workers that were not killed", lostElsewhere);
    if (lostElsewhere > 0) violations.push(`${lostElsewhere} runs lost on workers that were never killed`);
    bump("lost runs that never reached the target", lost.filter((r) => !callsByRun.has(r.id)).length);
    const successWithoutCall = runs.filter((r) => r.status === "success" && !callsByRun.has(r.id)).length;
    bump("successful runs the target never saw", successWithoutCall);
    if (successWithoutCall > 0) violations.push(`${successWithoutCall} successful runs were never received by the target`);
    const stillRunning = runs.filter((r) => r.status === "running").length;
    bump("runs left running", stillRunning);
    if (stillRunning > 0) violations.push(`${stillRunning} runs still running: the surviving workers did not recover them`);
    return { counts, violations };
  } finally {
    for (const p of procs.values()) p.child.kill("SIGKILL");
    await Promise.all([...procs.values()].map((p) => p.exited));
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    if (process.env.CHAOS_KEEP_DB) log(`chaos: kept database ${tdb.url}`);
    else await tdb.drop();
  }
}

const listenersUp = async (db: Db, ids: string[]) => {
  const rows = await db.$queryRaw<{ n: number }[]>`
select count(distinct activity.application_name)::int as n from pg_stat_activity as activity
where activity.application_name = any(${ids.map((id) => `btick-worker-listen:${id}`)}::text[])`;
  return rows[0]?.n ?? 0;
};

/** Resolves once every listed worker has its LISTEN session open (it has migrated and started its loop). */
async function waitForWorkers(db: Db, ids: string[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await listenersUp(db, ids)) < ids.length) {
    if (Date.now() > deadline) throw new Error("workers did not start in time");
    await sleep(100);
  }
}

/** Resolves once one of the listed workers is up. */
async function waitForAnyWorker(db: Db, ids: string[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await listenersUp(db, ids)) < 1) {
    if (Date.now() > deadline) throw new Error("workers did not restart in time");
    await sleep(50);
  }
}

export function printReport(report: ChaosReport, log: (l: string) => void = (l) => process.stdout.write(`${l}\n`)): void {
  const width = Math.max(...Object.keys(report.counts).map((k) => k.length));
  log("chaos counts:");
  for (const [k, v] of Object.entries(report.counts).sort(([a], [b]) => a.localeCompare(b))) log(`  ${k.padEnd(width)}  ${v}`);
  log(report.violations.length === 0 ? "chaos: OK, no violations" : `chaos: ${report.violations.length} VIOLATIONS:\n  ${report.violations.join("\n  ")}`);
}

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const report = await runChaos({
    durationMs: arg("duration", 90) * 1000,
    jobs: arg("jobs", 300),
    workers: 3,
    killEveryMs: arg("kill-every", 4) * 1000,
    leaseSeconds: arg("lease", 10),
    outageMs: arg("outage", 8) * 1000,
    misfireThresholdSeconds: arg("misfire-threshold", 5),
    apiEveryMs: arg("api-every", 0.5) * 1000,
    logDir: process.env.CHAOS_LOG_DIR,
  });
  printReport(report);
  process.exit(report.violations.length === 0 ? 0 : 1);
}
