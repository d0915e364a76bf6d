// Pure formatting helpers for the job and run pages (no I/O, no markup).
import { MASK, type RunStatus } from "@btick/contract";

/** "2026-03-07 10:15:30 CET": an instant in a given IANA zone, 24-hour clock, with the zone's short name. */
export function formatInZone(iso: string | Date, timeZone: string): string {
  const d = typeof iso === "string" ? new Date(iso) : iso;
  if (Number.isNaN(d.getTime())) return String(iso);
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat("en-US", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
      timeZoneName: "short",
    }).formatToParts(d);
  } catch {
    return d.toISOString();
  }
  const get = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? "";
  return `${get("year")}-${get("month")}-${get("day")} ${get("hour")}:${get("minute")}:${get("second")} ${get("timeZoneName")}`;
}

/** "in 3 min", "12 s ago": a coarse distance from `now`, for secondary labels. */
export function relativeTime(iso: string, now: Date = new Date()): string {
  const diff = new Date(iso).getTime() - now.getTime();
  const abs = Math.abs(diff);
  const s = Math.round(abs / 1000);
  const label =
    s < 60 ? `${s} s` : s < 3600 ? `${Math.round(s / 60)} min` : s < 86_400 ? `${Math.round(s / 3600)} h` : `${Math.round(s / 86_400)} d`;
  if (s === 0) return "now";
  return diff >= 0 ? `in ${label}` : `${label} ago`;
}

/** "850 ms", "1.24 s", "2 min 5 s". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** "1.2 KiB" etc. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** What the API shows instead of a secret header value (sending it back keeps the stored value). */
export { MASK } from "@btick/contract";

/**
 * Header entries, with the values of headers the server treats as secret (`isSecret`: SECRET_HEADER_PATTERNS, see
 * secretHeaderRules) shown as the mask. The API already answers *** for those; the UI does not decide on its own.
 */
export function maskHeaders(headers: Record<string, string>, isSecret: (name: string) => boolean): [name: string, value: string, masked: boolean][] {
  return Object.entries(headers).map(([k, v]) => (isSecret(k) ? [k, MASK, true] : [k, v, false]));
}

/** A JSON value pretty-printed, or null for no body. */
export function prettyJsonValue(v: unknown): string | null {
  return v === null || v === undefined ? null : JSON.stringify(v, null, 2);
}

/** A response body pretty-printed when it parses as JSON; otherwise as received. */
export function prettyBody(body: string): { text: string; json: boolean } {
  const trimmed = body.trim();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      return { text: JSON.stringify(JSON.parse(trimmed), null, 2), json: true };
    } catch {
      // not JSON: shown raw
    }
  }
  return { text: body, json: false };
}

/** The run's status as the badge tone used everywhere. */
export type Tone = "green" | "red" | "amber" | "gray" | "blue";
export const RUN_STATUS_TONE: Record<RunStatus, Tone> = {
  success: "green",
  failed: "red",
  running: "blue",
  lost: "amber",
  skipped: "gray",
  cancelled: "gray",
  blocked_by_policy: "red",
};
export const ATTEMPT_OUTCOME_TONE: Record<string, Tone> = { success: "green", http_error: "red", timeout: "amber", network_error: "red", blocked: "red" };

/** Statuses that count as a failed run for the "last run failed" badge. `cancelled` does not: a newer run replaced it. */
export const FAILED_RUN_STATUSES: readonly RunStatus[] = ["failed", "lost", "blocked_by_policy"];

/**
 * Statuses whose error_message explains a policy decision rather than a failure (shown as a neutral note):
 * `skipped` (concurrency or misfire policy) and `cancelled` (replaced by a newer run).
 */
export const POLICY_RUN_STATUSES: readonly RunStatus[] = ["skipped", "cancelled"];

/** "blocked_by_policy" → "blocked by policy". */
export const statusLabel = (status: string) => status.replace(/_/g, " ");

/** IANA zones for the timezone field's suggestions. */
export function timeZoneNames(): string[] {
  try {
    return ["UTC", ...Intl.supportedValuesOf("timeZone").filter((z) => z !== "UTC")];
  } catch {
    return ["UTC"];
  }
}
