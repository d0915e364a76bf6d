export * from "./common.ts";
export * from "./jobs.ts";
export * from "./runs.ts";
export * from "./apiKeys.ts";
export * from "./schedule.ts";
