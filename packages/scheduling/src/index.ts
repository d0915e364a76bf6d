export { CRON_MACROS, checkSchedule, nextRunAfter, nextRuns, normalizeCron, type CronCheck, type ScheduleCheck } from "./cron.ts";
export { isValidTimeZone, normalizeTimeZone } from "./timezone.ts";
export { parseRetryAfter, retryDelayMs } from "./backoff.ts";
