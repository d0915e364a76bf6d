// Schedule preview: the same checks job validation applies (the schedule itself, and the server's minimum interval
// between fires), plus a description and the next fire times.
import cronstrue from "cronstrue";

import { checkSchedule, nextRuns } from "@btick/scheduling";

import { PREVIEW_COUNT, type SchedulePreviewInput, type SchedulePreviewOutput } from "../schemas/schedule.ts";
import { DEFAULT_JOB_LIMITS, intervalIssue, type JobLimits } from "./limits.ts";

/** Plain-English description of a normalized 5/6-field expression ("Every 5 minutes"); null if cronstrue cannot. */
export function describeCron(expression: string): string | null {
  try {
    return cronstrue.toString(expression, { use24HourTimeFormat: true, throwExceptionOnParseError: true });
  } catch {
    return null;
  }
}

/**
 * `limits`: the server's job limits, so a schedule firing more often than TENANT_MIN_INTERVAL_SECONDS is reported
 * with the message creating the job would give (intervalIssue, the same check).
 */
export function previewSchedule(input: SchedulePreviewInput, now: Date = new Date(), limits: JobLimits = DEFAULT_JOB_LIMITS): SchedulePreviewOutput {
  const cron = input.cron_expression.trim();
  const timezone = input.timezone.trim() === "" ? "UTC" : input.timezone.trim();
  const check = checkSchedule(cron, timezone, now);
  if (!check.ok) {
    return { valid: false, field: check.field, message: check.message, expression: null, timezone, description: null, next_runs: [] };
  }
  const tooOften = intervalIssue(cron, timezone, limits);
  if (tooOften) {
    return { valid: false, field: "cron_expression", message: tooOften.message, expression: null, timezone, description: null, next_runs: [] };
  }
  return {
    valid: true,
    field: null,
    message: null,
    expression: check.expression,
    timezone,
    description: describeCron(check.expression),
    next_runs: nextRuns(check.expression, timezone, now, PREVIEW_COUNT).map((d) => d.toISOString()),
  };
}
