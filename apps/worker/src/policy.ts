// Concurrency and misfire policies, decided in the claim transaction (pure functions: the SQL files feed them rows
// and write what they return). README "Scheduling semantics" describes the behaviour.
import { nextRunAfter } from "@btick/scheduling";

export type ConcurrencyPolicy = "forbid" | "allow" | "replace";
export type MisfirePolicy = "fire_once" | "skip" | "catch_up";

/** A slot later than this (WORKER_MISFIRE_THRESHOLD_SECONDS) at claim time has misfired; a less late one just runs. */
export const DEFAULT_MISFIRE_THRESHOLD_MS = 60_000;

export const SKIPPED_RUNNING_MESSAGE = "skipped: the previous run was still running (concurrency_policy forbid)";
export const cancelledMessage = (slot: Date) => `cancelled: replaced by the run for ${slot.toISOString()} (concurrency_policy replace)`;
/**
 * error_message of the one `skipped` row that records a misfire gap: the due slots from `from` (this row's slot) up to,
 * not including, `until` (the job's new next_run_at, the first slot after the claim) got no row of their own.
 */
export const misfireSkippedMessage = (policy: string, from: Date, until: Date) =>
  `skipped: the slots from ${from.toISOString()} to before ${until.toISOString()} were not executed: the job was more than the misfire threshold late (misfire_policy ${policy})`;
/** Prefix of every misfireSkippedMessage. */
export const MISFIRE_SKIPPED_PREFIX = "skipped: the slots from ";

export interface SlotPlan {
  /** Slots that get a row, oldest first: a run (skippedBecause null) or a `skipped` row with this message. */
  slots: { at: Date; skippedBecause: string | null }[];
  /** The job's new next_run_at (null when it cannot be computed: the job stops being scheduled). */
  next: Date | null;
}

/**
 * The slots one claim of a due job handles, with `now` the database's clock at the claim and `slot` the job's
 * next_run_at (<= now). Planning costs a handful of next-slot computations per job (at most misfire_catch_up_max + 1),
 * however long the job was missed: the new next_run_at is computed directly, never by walking the missed slots.
 *
 * - Not misfired (`slot` is late by at most `thresholdMs`): one run for the slot; next_run_at is the slot after it,
 *   which may be due already (the next claim takes it: slots that are merely late run one by one, none is lost).
 * - Misfired (later than that: no worker ran the job for longer than the threshold): the misfire policy decides for
 *   all the job's due slots, and next_run_at becomes the first slot after now, so the job is back on time (a job
 *   handled slot by slot would stay late by the threshold, and misfire again at every claim):
 *   - fire_once: one run for the oldest;
 *   - skip: none runs;
 *   - catch_up: a run for each, oldest first, at most `catchUpMax`.
 *   Due slots that get no run are recorded by a single `skipped` row at the first of them whose message names the
 *   gap (misfireSkippedMessage): at most one extra row per claim, even after a long outage.
 *
 * `nextAfter` (the first slot strictly after a time) is a parameter for tests; it defaults to the job's cron.
 */
export function planScheduledSlots(
  job: {
    cron: string;
    timezone: string;
    slot: Date;
    now: Date;
    misfirePolicy: string;
    catchUpMax: number;
    thresholdMs?: number;
  },
  nextAfter: (after: Date) => Date = (after) => nextRunAfter(job.cron, job.timezone, after),
): SlotPlan {
  const { slot, now } = job;
  if (slot.getTime() >= now.getTime() - (job.thresholdMs ?? DEFAULT_MISFIRE_THRESHOLD_MS)) {
    return { slots: [{ at: slot, skippedBecause: null }], next: nextAfter(slot) };
  }
  const slots: SlotPlan["slots"] = [];
  /** The first due slot that gets no run (null: none), and the first slot after now, once known. */
  let dropped: Date | null;
  let next: Date | null = null;
  if (job.misfirePolicy === "skip") {
    dropped = slot;
  } else {
    const max = job.misfirePolicy === "catch_up" ? Math.max(1, Math.min(job.catchUpMax, 100)) : 1;
    let at = slot;
    while (slots.length < max && at.getTime() <= now.getTime()) {
      slots.push({ at, skippedBecause: null });
      at = nextAfter(at);
    }
    if (at.getTime() <= now.getTime()) dropped = at;
    else {
      dropped = null;
      next = at;
    }
  }
  next ??= nextAfter(now);
  if (dropped) slots.push({ at: dropped, skippedBecause: misfireSkippedMessage(job.misfirePolicy, dropped, next) });
  return { slots, next };
}

/**
 * Applies the concurrency policy to a job's new slots, given whether a run of it is still in progress:
 * forbid turns every new slot into a `skipped` row; replace asks to cancel the running runs; allow changes nothing.
 * Runs created by the same claim do not count against each other (catch-up slots of one claim all run).
 */
export function applyConcurrency(
  policy: string,
  hasRunning: boolean,
  slots: SlotPlan["slots"],
): { slots: SlotPlan["slots"]; cancelRunning: boolean } {
  if (!hasRunning || policy === "allow") return { slots, cancelRunning: false };
  if (policy === "replace") return { slots, cancelRunning: slots.some((s) => s.skippedBecause === null) };
  return { slots: slots.map((s) => ({ at: s.at, skippedBecause: s.skippedBecause ?? SKIPPED_RUNNING_MESSAGE })), cancelRunning: false };
}
