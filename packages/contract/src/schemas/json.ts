// Limits on arbitrary JSON taken from users: every procedure input (checked by a middleware in trpc.ts, so the
// REST, tRPC and UI surfaces all get it) and every HTTP request body (checked again at the edge by the API, before
// tRPC's own recursive code runs). Recursive validators and serializers overflow the stack on deeply nested
// values, and PostgreSQL cannot store NUL characters or unpaired surrogates: both are refused up front with a
// clear message instead of a 500 later.

export const MAX_JSON_DEPTH = 64;

export interface JsonProblem {
  /** Dotted path of the offending value ("" for the root). */
  path: string;
  message: string;
}

const BAD_STRING = "must not contain NUL characters or unpaired surrogates";
const badString = (s: string) => s.includes("\u0000") || !s.isWellFormed();

/** The first problem found in `value`, or null. Iterative, so any depth is safe to inspect. */
export function jsonValueProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): JsonProblem | null {
  const stack: Array<[unknown, string[]]> = [[value, []]];
  while (stack.length > 0) {
    const [v, path] = stack.pop() as [unknown, string[]];
    if (typeof v === "string") {
      if (badString(v)) return { path: path.join("."), message: BAD_STRING };
    } else if (v !== null && typeof v === "object") {
      if (path.length + 1 > maxDepth) {
        return { path: path.slice(0, 1).join("."), message: `must not be nested deeper than ${maxDepth} levels` };
      }
      for (const [k, child] of Object.entries(v)) {
        if (badString(k)) return { path: path.join("."), message: `keys ${BAD_STRING}` };
        stack.push([child, [...path, k]]);
      }
    }
  }
  return null;
}
