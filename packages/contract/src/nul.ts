// PostgreSQL cannot store U+0000 in text or jsonb values, so input holding it would fail at the database (a 500).
// Every procedure rejects it up front instead, as a validation error naming each field that holds one.
import type { FieldIssue } from "./schemas/jobs.ts";

/** Path ids are reported by their own UUID check ("invalid jobId"). */
const SKIPPED_TOP_LEVEL = new Set(["jobId", "runId", "keyId"]);
const MESSAGE = "must not contain NUL (\\u0000) characters";

export function nulIssues(input: unknown): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const visit = (value: unknown, path: string[], depth: number) => {
    if (depth > 64 || issues.length >= 20) return;
    if (typeof value === "string") {
      if (value.includes("\u0000")) issues.push({ field: path.join(".") || "body", message: MESSAGE });
      return;
    }
    if (value === null || typeof value !== "object") return;
    if (Array.isArray(value)) {
      value.forEach((v, i) => visit(v, [...path, String(i)], depth + 1));
      return;
    }
    for (const [k, v] of Object.entries(value)) {
      if (depth === 0 && SKIPPED_TOP_LEVEL.has(k)) continue;
      if (k.includes("\u0000")) issues.push({ field: [...path, k.split("\u0000").join("\\u0000")].join("."), message: MESSAGE });
      else visit(v, [...path, k], depth + 1);
    }
  };
  visit(input, [], 0);
  return issues;
}
