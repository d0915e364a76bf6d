// Concurrency and misfire policies, decided in the claim transaction (pure functions: the SQL files feed them rows
// and write what they return). README "Scheduling semantics" describes the behaviour.
import { nextRunAfter } from "@btick/scheduling";

export type ConcurrencyPolicy = "forbid" | "allow" | "replace";
export type MisfirePolicy = "fire_once" | "skip" | "catch_up";

export const SKIPPED_RUNNING_MESSAGE = "skipped: the previous run was still running (concurrency_policy forbid)";
export const SKIPPED_MISFIRE_MESSAGE = "skipped: slot missed while no worker ran (misfire_policy skip)";
export const cancelledMessage = (slot: Date) => `cancelled: replaced by the run for ${slot.toISOString()} (concurrency_policy replace)`;

/** Hard ceiling on slots looked at when counting missed ones, whatever the job's settings. */
const MAX_SLOTS_SCANNED = 1000;

export interface SlotPlan {
  /** Slots that get a run row, oldest first. */
  slots: { at: Date; skippedBecause: string | null }[];
  /** The job's new next_run_at (null when it cannot be computed: the job stops being scheduled). */
  next: Date | null;
  /** Missed slots that got no row at all (misfire skip / catch_up beyond its maximum). */
  dropped: number;
}

/**
 * The slots one claim of a due job handles. `slot` is the job's next_run_at (<= now). It has misfired when the slot
 * after it is also already due (more than one slot in the past):
 * - fire_once: one run for the oldest missed slot, then the first slot after now (the original's behaviour).
 * - skip: one `skipped` run for the oldest missed slot (so the gap is visible in the history), then the first slot
 *   after now.
 * - catch_up: a run for every missed slot, oldest first, at most `catchUpMax`; then the first slot after now.
 * Not misfired: one run for the slot, next = first slot after max(slot, now).
 */
export function planScheduledSlots(job: {
  cron: string;
  timezone: string;
  slot: Date;
  now: Date;
  misfirePolicy: string;
  catchUpMax: number;
}): SlotPlan {
  const { cron, timezone, slot, now } = job;
  const following = nextRunAfter(cron, timezone, slot);
  const misfired = following.getTime() <= now.getTime();
  const after = slot > now ? slot : now;
  const next = nextRunAfter(cron, timezone, after);
  if (!misfired || job.misfirePolicy === "fire_once") return { slots: [{ at: slot, skippedBecause: null }], next, dropped: 0 };
  let missed = 1;
  const slots: SlotPlan["slots"] = [];
  if (job.misfirePolicy === "skip") {
    slots.push({ at: slot, skippedBecause: SKIPPED_MISFIRE_MESSAGE });
  } else {
    const max = Math.max(1, Math.min(job.catchUpMax, 100));
    slots.push({ at: slot, skippedBecause: null });
    for (let at = following; at.getTime() <= now.getTime() && missed < MAX_SLOTS_SCANNED; at = nextRunAfter(cron, timezone, at)) {
      missed++;
      if (slots.length < max) slots.push({ at, skippedBecause: null });
    }
    return { slots, next, dropped: missed - slots.length };
  }
  for (let at = following; at.getTime() <= now.getTime() && missed < MAX_SLOTS_SCANNED; at = nextRunAfter(cron, timezone, at)) missed++;
  return { slots, next, dropped: missed - slots.length };
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
