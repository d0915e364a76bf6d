// Schedule preview: a cron expression and timezone → a plain-English description and the next fire times,
// or why the pair is not acceptable. Used by the job form's live preview and by API clients.
import { z } from "zod";

import { timestamp, typeError } from "./common.ts";

export const PREVIEW_COUNT = 5;

export const schedulePreviewInput = z.strictObject({
  cron_expression: z.string({ error: typeError("a string") }).max(200, "must be at most 200 characters"),
  timezone: z.string({ error: typeError("a string") }).max(64, "must be at most 64 characters").default("UTC"),
});
export type SchedulePreviewInput = z.infer<typeof schedulePreviewInput>;

export const schedulePreviewOutput = z
  .object({
    valid: z.boolean(),
    /** On an invalid schedule: the field at fault and why (the same message job validation gives). */
    field: z.enum(["cron_expression", "timezone"]).nullable(),
    message: z.string().nullable(),
    /** The expression as evaluated (whitespace collapsed, macros expanded). */
    expression: z.string().nullable(),
    timezone: z.string(),
    description: z.string().nullable(),
    next_runs: z.array(timestamp),
  })
  .meta({ id: "SchedulePreview" });
export type SchedulePreviewOutput = z.infer<typeof schedulePreviewOutput>;
