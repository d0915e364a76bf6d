// One worker's loop: claim what is due (up to the free slots), execute it with bounded concurrency, sleep until the
// next due time (bounded by the poll interval) or a wake-up. runOnce() is the deterministic single pass used by tests.
//
// At most `concurrency` runs execute at once. A claim asks for no more runs than there are free slots, but one job's
// catch-up can bring more than that: those runs wait in a local queue (owned and heartbeated like the others, not yet
// sent), so no attempt starts, and no attempt timeout starts counting, before a slot is free.
import type { Db } from "@btick/db";
import pino, { type Logger } from "pino";
import type { Dispatcher } from "undici";

import { DbClock } from "./dbClock.ts";
import { DbOutage } from "./dbOutage.ts";
import { createHttpAgent } from "./execute.ts";
import type { WorkerMetrics } from "./metrics.ts";
import { defaultOptions, type WorkerOptions } from "./options.ts";
import { RUN_RELEASED, runJob, type RunSummary } from "./runJob.ts";
import { createRetention, defaultRetentionOptions } from "./retention.ts";
import { ensureLogDir, flushRunLogs } from "./runLog.ts";
import { claimDueJobs } from "./sql/claimDueJobs.ts";
import { claimTriggers } from "./sql/claimTriggers.ts";
import { earliestDue } from "./sql/earliestDue.ts";
import { recoverLostRuns } from "./sql/recoverLostRuns.ts";
import { renewLeases } from "./sql/renewLeases.ts";
import type { ClaimedRun } from "./types.ts";
import { Waiter } from "./waiter.ts";
import { createWakeupListener, type WakeupListener } from "./wakeup.ts";

/**
 * Due work the last claim did not take: if it came due after that claim began, claim again at once; if it was due
 * already, another worker holds it: sleep this long before claiming again.
 */
const MIN_BUSY_SLEEP_MS = 25;

export interface CreateWorkerArgs {
  db: Db;
  options: Partial<WorkerOptions> & Pick<WorkerOptions, "workerId">;
  logger?: Logger;
  /** Connection string for the LISTEN client; without it the worker only polls. */
  listenUrl?: string;
  /** Defaults to a keep-alive undici Agent owned (and closed) by the worker. */
  http?: Dispatcher;
  /** Prometheus metrics to record into (see metrics.ts); none by default. */
  metrics?: WorkerMetrics;
}

export interface Worker {
  readonly id: string;
  readonly options: WorkerOptions;
  /** Runs this worker owns now: executing, or claimed and waiting for a free slot. */
  readonly inFlight: number;
  /** Runs executing now (at most `concurrency`). */
  readonly executing: number;
  /** When the continuous loop last completed a claim pass (ms since epoch); null before the first. */
  readonly lastTickAt: number | null;
  /**
   * Claims what is due now (filling free slots as they free up), executes it and waits for every run to finish.
   * A deterministic pass for tests and scripts: no heartbeat, sweeper or LISTEN (those belong to start()).
   */
  runOnce(): Promise<RunSummary[]>;
  /** Continuous mode: polls at once, then sleeps until the next due time, a wake-up or a free slot. */
  start(): Promise<void>;
  /**
   * Stops claiming, lets in-flight runs finish for up to `graceMs` (default: options.shutdownGraceMs), then aborts
   * them (recorded as failed "worker shutting down", fenced) and releases resources.
   */
  stop(opts?: { graceMs?: number }): Promise<void>;
  /** Aborts in-flight runs now (second signal). stop() still has to be awaited. */
  abortAll(): void;
  /** Heartbeat: renews the leases of in-flight runs. Returns how many were renewed. */
  heartbeat(): Promise<number>;
  /** Marks runs with an expired lease as lost. Returns their ids. */
  recoverLost(): Promise<string[]>;
  /** Wakes the loop as a notification would. */
  wake(): void;
}

interface InFlight {
  run: ClaimedRun;
  controller: AbortController;
  /** Settles when the run has finished (or, if it never started, was dropped). */
  done: Promise<RunSummary>;
  /** Its attempts are over and its final write is under way: the heartbeat leaves it alone. */
  finishing: boolean;
  start: () => void;
}

export function createWorker(args: CreateWorkerArgs): Worker {
  const options: WorkerOptions = { ...defaultOptions, ...args.options };
  const { db } = args;
  const logger = (args.logger ?? pino({ level: "silent" })).child({ worker_id: options.workerId });
  const ownsHttp = !args.http;
  const http =
    args.http ??
    createHttpAgent({
      followRedirects: options.followRedirects,
      connections: options.concurrency,
      network: { allowPrivateNetworks: options.allowPrivateNetworks, allowedHosts: options.allowedHosts },
    });
  /** Every run this worker owns, in claim order; the first `executing` started ones run, the rest wait in `queue`. */
  const inFlight = new Map<string, InFlight>();
  const queue: InFlight[] = [];
  let executing = 0;
  const clock = new DbClock();
  const outage = new DbOutage(logger);
  const waiter = new Waiter();
  let running = false;
  let stopping: Promise<void> | null = null;
  let loopDone: Promise<void> | null = null;
  /** Set when the last pass left due work behind for lack of slots: a finishing run then wakes the loop. */
  let pendingWork = false;
  let heartbeatTimer: NodeJS.Timeout | null = null;
  let sweepTimer: NodeJS.Timeout | null = null;
  let listener: WakeupListener | null = null;
  let logDirReady: Promise<void> | null = null;
  let slotFreed: (() => void) | null = null;
  const retention = createRetention({
    db,
    logger,
    outage,
    options: { ...defaultRetentionOptions, retentionDays: options.runRetentionDays, taskLogPath: options.taskLogPath },
  });
  let lastTickAt: number | null = null;
  const metrics = args.metrics;
  metrics?.setInFlightSource(() => executing);

  // With work pending and all slots busy, claim again once a quarter of the slots (at most a full claim) are free
  // rather than one statement per finished run.
  const minBatch = Math.max(1, Math.min(options.maxClaimsPerTick, Math.ceil(options.concurrency / 4)));
  const freeSlots = () => options.concurrency - inFlight.size;
  const canClaimBatch = () => inFlight.size === 0 || freeSlots() >= minBatch;

  const ensureDir = () => (logDirReady ??= ensureLogDir(options.taskLogPath));

  function launch(run: ClaimedRun): void {
    const controller = new AbortController();
    let settle!: (s: RunSummary) => void;
    const done = new Promise<RunSummary>((r) => (settle = r));
    const entry: InFlight = {
      run,
      controller,
      done,
      finishing: false,
      start() {
        executing++;
        runJob({ db, http, options, logger, metrics, clock, outage }, run, controller.signal, () => (entry.finishing = true))
          .catch((err: unknown): RunSummary => {
            logger.error({ err, job_id: run.jobId, run_id: run.runId }, "run crashed");
            return { status: "failed", attempts: 0, recorded: false };
          })
          .then((summary) => {
            executing--;
            inFlight.delete(run.runId);
            settle(summary);
            pump();
            slotFreed?.();
            if (pendingWork && running && canClaimBatch()) waiter.wake();
          });
      },
    };
    inFlight.set(run.runId, entry);
    queue.push(entry);
  }

  /** Starts queued runs while slots are free. */
  function pump(): void {
    while (executing < options.concurrency) {
      const next = queue.shift();
      if (!next) return;
      next.start();
    }
  }

  /** One claim pass: manual triggers first, then due jobs, never more than the free slots. */
  async function claim(): Promise<{ claimed: number; limit: number }> {
    const limit = Math.min(freeSlots(), options.maxClaimsPerTick);
    if (limit <= 0) return { claimed: 0, limit: 0 };
    await ensureDir();
    const common = { workerId: options.workerId, leaseMs: options.leaseMs, clock };
    const triggers = await claimTriggers(db, { ...common, limit });
    const due = await claimDueJobs(db, {
      ...common,
      limit: limit - triggers.length,
      misfireThresholdMs: options.misfireThresholdMs,
      onScheduleError: (jobId, err) =>
        logger.error({ job_id: jobId, err }, "cannot compute the next run time; the job stops being scheduled"),
    });
    for (const run of [...triggers, ...due]) launch(run);
    pump();
    metrics?.claimBatch.observe(triggers.length + due.length);
    return { claimed: triggers.length + due.length, limit };
  }

  function nextSlotFree(): Promise<void> {
    return new Promise((resolve) => {
      const prev = slotFreed;
      slotFreed = () => {
        slotFreed = prev;
        prev?.();
        resolve();
      };
    });
  }

  async function runOnce(): Promise<RunSummary[]> {
    const summaries: Promise<RunSummary>[] = [];
    for (;;) {
      const before = new Set(inFlight.keys());
      const { claimed, limit } = await claim();
      for (const [id, f] of inFlight) if (!before.has(id)) summaries.push(f.done);
      if (limit > 0 && claimed < limit) break;
      while (!canClaimBatch()) await nextSlotFree();
    }
    return Promise.all(summaries);
  }

  async function loop(): Promise<void> {
    let failures = 0;
    while (running) {
      let delay = options.pollIntervalMs;
      try {
        const claimBegan = clock.nowMs();
        const { claimed, limit } = await claim();
        failures = 0;
        // (A full worker claims nothing and asks the database nothing: that proves nothing about it.)
        if (limit > 0) outage.ok();
        lastTickAt = Date.now();
        if (!running) break;
        pendingWork = limit === 0 || claimed >= limit;
        if (pendingWork && canClaimBatch()) continue;
        if (!pendingWork) {
          const asked = performance.now();
          const ms = await earliestDue(db, clock);
          // The answer is "ms from when the database evaluated now()": subtract the query's own round trip, so the
          // worker wakes at the slot (at worst a round trip early, when a short re-check follows), never late.
          if (ms !== null) {
            const left = ms - (performance.now() - asked);
            const cameDueAfterClaim = clock.nowMs() + left > claimBegan;
            delay = Math.min(options.pollIntervalMs, left > 0 ? Math.ceil(left) : cameDueAfterClaim ? 0 : MIN_BUSY_SLEEP_MS);
          }
        }
      } catch (err) {
        failures++;
        outage.failed("claim", err);
        delay = Math.min(options.pollIntervalMs, 100 * 2 ** Math.min(failures, 10));
      }
      if (running) await waiter.wait(delay);
    }
  }

  /**
   * Stops executing a run the database no longer lets us finish (cancelled, lost or deleted). A run that is already
   * writing its own result is left alone: its row stops being `running` because we finished it.
   */
  function release(runId: string, why: string): void {
    const f = inFlight.get(runId);
    if (!f || f.finishing || f.controller.signal.aborted) return;
    logger.warn({ run_id: runId, job_id: f.run.jobId, reason: why }, "run is no longer ours; aborting it");
    f.controller.abort(RUN_RELEASED);
  }

  async function heartbeat(): Promise<number> {
    const ids = [...inFlight.values()].filter((f) => !f.finishing).map((f) => f.run.runId);
    const renewed = new Set(await renewLeases(db, { workerId: options.workerId, runIds: ids, leaseMs: options.leaseMs }));
    if (ids.length > 0) outage.ok();
    for (const id of ids) if (!renewed.has(id)) release(id, "lease not renewed");
    return renewed.size;
  }

  async function recoverLost(): Promise<string[]> {
    const rows = await recoverLostRuns(db);
    outage.ok();
    if (rows.length > 0) metrics?.leasesRecovered.inc(rows.length);
    for (const row of rows) logger.warn({ run_id: row.id, lost_worker_id: row.worker_id }, "run marked lost: lease expired");
    return rows.map((r) => r.id);
  }

  function abortAll(): void {
    for (const f of inFlight.values()) f.controller.abort();
  }

  async function shutdown(graceMs: number): Promise<void> {
    running = false;
    waiter.wake();
    await loopDone;
    await listener?.stop();
    listener = null;
    await retention.stop();
    const all = () => Promise.all([...inFlight.values()].map((f) => f.done));
    if (inFlight.size > 0) {
      logger.info({ in_flight: inFlight.size, grace_ms: graceMs }, "waiting for in-flight runs");
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        all().then(() => false),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs))),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        logger.warn({ in_flight: inFlight.size }, "grace period over; aborting in-flight runs");
        abortAll();
      }
      await all();
    }
    if (heartbeatTimer) clearInterval(heartbeatTimer);
    if (sweepTimer) clearInterval(sweepTimer);
    heartbeatTimer = sweepTimer = null;
    if (ownsHttp) await http.close();
    flushRunLogs();
  }

  return {
    id: options.workerId,
    options,
    get inFlight() {
      return inFlight.size;
    },
    get executing() {
      return executing;
    },
    get lastTickAt() {
      return lastTickAt;
    },
    runOnce,
    heartbeat,
    recoverLost,
    abortAll,
    wake: () => waiter.wake(),
    async start() {
      if (running) return;
      await ensureDir();
      running = true;
      heartbeatTimer = setInterval(() => {
        heartbeat().catch((err: unknown) => outage.failed("heartbeat", err));
      }, Math.max(50, Math.floor(options.leaseMs / 3)));
      const sweep = () => {
        recoverLost().catch((err: unknown) => outage.failed("lost-run recovery", err));
      };
      sweep();
      // Jittered so that workers started together do not sweep in lockstep.
      sweepTimer = setInterval(sweep, Math.round(options.sweepIntervalMs * (0.9 + Math.random() * 0.2)));
      if (args.listenUrl) {
        listener = createWakeupListener({
          connectionString: args.listenUrl,
          applicationName: `btick-worker-listen:${options.workerId}`,
          onWake: (payload) => {
            if (payload.startsWith("cancel:")) release(payload.slice("cancel:".length), "cancelled by a newer run");
            else waiter.wake();
          },
          logger,
        });
        await listener.start();
      }
      retention.start();
      loopDone = loop();
    },
    stop(opts = {}) {
      stopping ??= shutdown(opts.graceMs ?? options.shutdownGraceMs);
      return stopping;
    },
  };
}
