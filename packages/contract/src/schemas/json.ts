// Limits on arbitrary JSON taken from users: every procedure input (checked by a middleware in trpc.ts, so the
// REST, tRPC and UI surfaces all get it) and every HTTP request body (whose depth is checked again at the edge by the
// API, before tRPC's own recursive code runs). Recursive validators and serializers overflow the stack on deeply
// nested values, and PostgreSQL cannot store NUL characters or unpaired surrogates: both are refused up front with a
// clear message per field instead of a 500 later.

export const MAX_JSON_DEPTH = 64;

export interface JsonProblem {
  /** Dotted path of the offending value ("" for the root). */
  path: string;
  message: string;
}

export const NUL_MESSAGE = "must not contain NUL (\\u0000) characters";
export const SURROGATE_MESSAGE = "must not contain unpaired surrogates (invalid UTF-16)";

/** Why PostgreSQL cannot store `s`, or null. */
function badString(s: string): string | null {
  if (s.includes("\u0000")) return NUL_MESSAGE;
  if (!s.isWellFormed()) return SURROGATE_MESSAGE;
  return null;
}

/**
 * Every problem in `value`, in document order: strings (values and keys) PostgreSQL cannot store, and nesting deeper
 * than `maxDepth` (reported once, at its top-level path, without looking further down). Iterative, so any depth is
 * safe to inspect.
 */
export function jsonValueProblems(value: unknown, maxDepth = MAX_JSON_DEPTH): JsonProblem[] {
  const problems: JsonProblem[] = [];
  const tooDeep = new Set<string>();
  const stack: Array<[unknown, string[]]> = [[value, []]];
  while (stack.length > 0) {
    const [v, path] = stack.pop() as [unknown, string[]];
    if (typeof v === "string") {
      const message = badString(v);
      if (message) problems.push({ path: path.join("."), message });
    } else if (v !== null && typeof v === "object") {
      if (path.length + 1 > maxDepth) {
        const top = path.slice(0, 1).join(".");
        if (!tooDeep.has(top)) problems.push({ path: top, message: `must not be nested deeper than ${maxDepth} levels` });
        tooDeep.add(top);
        continue;
      }
      // One entry per object for its keys (a key cannot name its own field); their values are not inspected.
      const entries = Object.entries(v);
      let keyProblem: string | null = null;
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, child] = entries[i] as [string, unknown];
        const message = badString(k);
        if (message === null) stack.push([child, [...path, k]]);
        else keyProblem ??= message;
      }
      if (keyProblem) problems.push({ path: path.join("."), message: `keys ${keyProblem}` });
    }
  }
  return problems;
}

/**
 * Paths (as segments, in document order) of the numbers in `value` that are integers beyond ±Number.MAX_SAFE_INTEGER.
 * JSON parsing in JavaScript has already rounded such a number (12345678901234567890 reads as 12345678901234567000),
 * so storing it would silently change the user's data. Iterative.
 */
export function unsafeIntegerPaths(value: unknown): string[][] {
  const found: string[][] = [];
  const stack: Array<[unknown, string[]]> = [[value, []]];
  while (stack.length > 0) {
    const [v, path] = stack.pop() as [unknown, string[]];
    if (typeof v === "number") {
      if (Number.isInteger(v) && !Number.isSafeInteger(v)) found.push(path);
    } else if (v !== null && typeof v === "object") {
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, child] = entries[i] as [string, unknown];
        stack.push([child, [...path, k]]);
      }
    }
  }
  return found;
}

/** The first problem found in `value` (see jsonValueProblems), or null. */
export function jsonValueProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): JsonProblem | null {
  return jsonValueProblems(value, maxDepth)[0] ?? null;
}

/** The first place `value` is nested deeper than `maxDepth`, or null; strings are not inspected. */
export function jsonDepthProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): JsonProblem | null {
  const stack: Array<[unknown, number, string]> = [[value, 0, ""]];
  while (stack.length > 0) {
    const [v, depth, top] = stack.pop() as [unknown, number, string];
    if (v === null || typeof v !== "object") continue;
    if (depth + 1 > maxDepth) return { path: top, message: `must not be nested deeper than ${maxDepth} levels` };
    for (const [k, child] of Object.entries(v)) stack.push([child, depth + 1, depth === 0 ? k : top]);
  }
  return null;
}
