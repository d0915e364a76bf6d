// Run retention: a periodic cleanup that deletes finished runs older than RUN_RETENTION_DAYS, runs beyond each job's
// max_runs, completed manual triggers older than the retention, and per-run log files older than it.
// Every statement deletes at most `batchSize` rows (short transactions, short row locks) and the cleanup pauses
// between statements, so it never holds long locks or starves the hot path. The first pass starts shortly after the
// worker (jittered), then every ~intervalMs (jittered, so workers started together do not clean in lockstep).
import { readdir, stat, unlink } from "node:fs/promises";
import { join } from "node:path";

import type { Db } from "@btick/db";
import type { Logger } from "pino";

import type { DbOutage } from "./dbOutage.ts";
import { cappedJobs, deleteExcessRuns, excessBoundaries, type CappedJob } from "./sql/deleteExcessRuns.ts";
import { deleteExpiredRuns } from "./sql/deleteExpiredRuns.ts";
import { deleteOldTriggers } from "./sql/deleteOldTriggers.ts";

export interface RetentionOptions {
  /** Finished runs (and completed triggers, log files) older than this many days are deleted; 0 keeps them forever. */
  retentionDays: number;
  /** Directory of the per-run log files, or null. */
  taskLogPath: string | null;
  /** Rows per delete statement. */
  batchSize: number;
  /** Pause between two delete statements. */
  pauseMs: number;
  /** Time between passes (±10 % jitter). */
  intervalMs: number;
  /** Delay before the first pass (a random value up to this). */
  firstDelayMs: number;
}

export const defaultRetentionOptions: Omit<RetentionOptions, "retentionDays" | "taskLogPath"> = {
  batchSize: 1000,
  pauseMs: 20,
  intervalMs: 10 * 60_000,
  firstDelayMs: 30_000,
};

export interface CleanupResult {
  /** Finished runs deleted for age. */
  expiredRuns: number;
  /** Finished runs deleted beyond their job's max_runs. */
  excessRuns: number;
  triggers: number;
  logFiles: number;
  /** Delete statements issued. */
  statements: number;
}

export interface Retention {
  /** One full pass; resolves when nothing is left to delete (or stop() was called). */
  cleanup(): Promise<CleanupResult>;
  start(): void;
  /** Stops the timer and ends a running pass after its current statement. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Capped jobs read per statement. */
const CAPPED_JOBS_PER_STATEMENT = 500;
/** Finding boundaries reads max_runs rows per job: at most this many rows per statement (at least one job). */
const BOUNDARY_ROWS_PER_STATEMENT = 100_000;

/** Splits jobs into groups whose max_runs add up to at most `rows` (a larger job gets a group of its own). */
function byRows(jobs: CappedJob[], rows: number): CappedJob[][] {
  const groups: CappedJob[][] = [];
  let current: CappedJob[] = [];
  let sum = 0;
  for (const job of jobs) {
    if (current.length > 0 && sum + job.maxRuns > rows) {
      groups.push(current);
      current = [];
      sum = 0;
    }
    current.push(job);
    sum += job.maxRuns;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

export function createRetention(args: { db: Db; logger: Logger; options: RetentionOptions; outage?: DbOutage }): Retention {
  const { db, logger, options } = args;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  let current: Promise<unknown> | null = null;

  /** Repeats a batched delete until a batch comes back short. */
  async function drain(step: () => Promise<number>, result: CleanupResult): Promise<number> {
    let total = 0;
    while (!stopped) {
      const n = await step();
      result.statements++;
      total += n;
      if (n < options.batchSize) break;
      await sleep(options.pauseMs);
    }
    return total;
  }

  /** The per-job cap: each capped job's boundary once per pass, then batched deletes below the boundaries. */
  async function deleteExcess(result: CleanupResult): Promise<number> {
    let total = 0;
    let after: string | null = null;
    while (!stopped) {
      const jobs = await cappedJobs(db, { after, limit: CAPPED_JOBS_PER_STATEMENT });
      result.statements++;
      if (jobs.length === 0) break;
      after = (jobs.at(-1) as CappedJob).id;
      for (const group of byRows(jobs, BOUNDARY_ROWS_PER_STATEMENT)) {
        if (stopped) break;
        const boundaries = await excessBoundaries(db, group);
        result.statements++;
        if (boundaries.length > 0) total += await drain(() => deleteExcessRuns(db, { boundaries, limit: options.batchSize }), result);
        await sleep(options.pauseMs);
      }
      if (jobs.length < CAPPED_JOBS_PER_STATEMENT) break;
    }
    return total;
  }

  async function deleteOldLogFiles(): Promise<number> {
    const dir = options.taskLogPath;
    if (dir === null || options.retentionDays <= 0) return 0;
    const cutoff = Date.now() - options.retentionDays * 86_400_000;
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return 0;
    }
    let deleted = 0;
    for (const [i, name] of names.entries()) {
      if (stopped) break;
      if (!name.endsWith(".log")) continue;
      const path = join(dir, name);
      try {
        if ((await stat(path)).mtimeMs < cutoff) {
          await unlink(path);
          deleted++;
        }
      } catch {
        // Removed meanwhile (another worker sharing the directory): nothing to do.
      }
      if (i % options.batchSize === options.batchSize - 1) await sleep(options.pauseMs);
    }
    return deleted;
  }

  async function cleanup(): Promise<CleanupResult> {
    const result: CleanupResult = { expiredRuns: 0, excessRuns: 0, triggers: 0, logFiles: 0, statements: 0 };
    const limit = options.batchSize;
    if (options.retentionDays > 0) {
      const days = options.retentionDays;
      result.expiredRuns = await drain(() => deleteExpiredRuns(db, { days, limit }), result);
      result.triggers = await drain(() => deleteOldTriggers(db, { days, limit }), result);
    }
    result.excessRuns = await deleteExcess(result);
    result.logFiles = await deleteOldLogFiles();
    return result;
  }

  function schedule(ms: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      timer = null;
      const pass = cleanup()
        .then((r) => {
          const deleted = r.expiredRuns + r.excessRuns + r.triggers + r.logFiles;
          if (deleted > 0) {
            logger.info(
              { expired_runs: r.expiredRuns, excess_runs: r.excessRuns, triggers: r.triggers, log_files: r.logFiles, statements: r.statements },
              "retention cleanup deleted old history",
            );
          }
        })
        .catch((err: unknown) => {
          if (args.outage) args.outage.failed("retention cleanup", err);
          else logger.error({ err }, "retention cleanup failed; retrying at the next interval");
        })
        .finally(() => {
          current = null;
          schedule(Math.round(options.intervalMs * (0.9 + Math.random() * 0.2)));
        });
      current = pass;
    }, ms);
  }

  return {
    cleanup,
    start() {
      stopped = false;
      schedule(Math.round(Math.random() * options.firstDelayMs));
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await current;
    },
  };
}
