// Building blocks shared by the input and output schemas. Messages are short and human: they end up in the
// `validation` array of the error envelope as `{field, message}`.
import { z } from "zod";

import { jsonValueProblem, MAX_JSON_DEPTH } from "./json.ts";

/**
 * Shields a number/boolean schema from trpc-to-openapi's query coercion. The adapter flips `coerce` on every
 * number/boolean field of an input object, for JSON bodies too (so `"enabled": "false"` would become `true`),
 * and it mutates the shared schema, changing tRPC calls as well. It does not look inside a pipe, so piping a
 * schema into itself keeps the type and the documentation while switching that off.
 */
export const noCoerce = <T extends z.ZodType>(schema: T) => schema.pipe(schema as unknown as z.ZodType<z.output<T>, z.output<T>>);

/** Error message for a wrong JSON type: "is required" when absent, otherwise what was expected. */
export const typeError = (what: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? "is required" : `must be ${what}`;

export const uuidString = z.uuid({ error: "must be a UUID" });

/** A path id (`jobId`, `runId`, `keyId`); a malformed one answers 400 "invalid <name>". */
export const pathId = (_name: "jobId" | "runId" | "keyId") => z.uuid({ error: "must be a UUID" });

/** ISO-8601 UTC timestamp with milliseconds, as produced by `Date.prototype.toISOString`. */
export const timestamp = z.iso.datetime();

export const MAX_PAGE_LIMIT = 500;

/**
 * `limit`: an integer 1..500. Accepted as a number (tRPC) or a decimal string (REST query). Anything else,
 * including "abc", "0", "1.5" and "501", is rejected, never coerced or clamped.
 */
export const pageLimit = (defaultLimit: number) =>
  z
    .union([z.number(), z.string()], { error: `must be an integer between 1 and ${MAX_PAGE_LIMIT}` })
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return defaultLimit;
      const n = typeof v === "number" ? v : /^[0-9]{1,6}$/.test(v) ? Number(v) : Number.NaN;
      if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_LIMIT) {
        ctx.addIssue({ code: "custom", message: `must be an integer between 1 and ${MAX_PAGE_LIMIT}` });
        return z.NEVER;
      }
      return n;
    })
    .meta({
      description: `Page size, 1..${MAX_PAGE_LIMIT} (default ${defaultLimit}).`,
      override: ({ jsonSchema }: { jsonSchema: Record<string, unknown> }) => {
        delete jsonSchema.anyOf;
        Object.assign(jsonSchema, { type: "integer", minimum: 1, maximum: MAX_PAGE_LIMIT, default: defaultLimit });
      },
    });

/** Position of a row in a newest-first listing: its sort timestamp in microseconds and its id. */
export interface CursorPosition {
  /** Microseconds since the Unix epoch, as a decimal string (exact; JS dates only keep milliseconds). */
  us: string;
  id: string;
}

export function encodeCursor(pos: CursorPosition): string {
  return Buffer.from(JSON.stringify([pos.us, pos.id]), "utf8").toString("base64url");
}

export function decodeCursor(cursor: string): CursorPosition | null {
  if (cursor.length > 200 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (!Array.isArray(v) || v.length !== 2) return null;
    const [us, id] = v as unknown[];
    if (typeof us !== "string" || !/^-?[0-9]{1,20}$/.test(us)) return null;
    if (typeof id !== "string" || !uuidString.safeParse(id).success) return null;
    return { us, id };
  } catch {
    return null;
  }
}

/** `cursor`: the opaque `next_cursor` of the previous page. */
export const pageCursor = z
  .string({ error: "must be a string" })
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v === "") return undefined;
    const pos = decodeCursor(v);
    if (!pos) {
      ctx.addIssue({ code: "custom", message: "is not a valid cursor" });
      return z.NEVER;
    }
    return pos;
  })
  .meta({ description: "The `next_cursor` of the previous page." });

/** A boolean query flag: `true`/`false` (REST query string) or a boolean (tRPC). */
export const queryBoolean = z
  .union([z.boolean(), z.enum(["true", "false"])], { error: "must be true or false" })
  .optional()
  .transform((v) => (v === undefined ? undefined : v === true || v === "true"))
  .meta({
    override: ({ jsonSchema }: { jsonSchema: Record<string, unknown> }) => {
      delete jsonSchema.anyOf;
      jsonSchema.type = "boolean";
    },
  });

/** Any JSON value (job bodies), within the limits of `jsonValueProblem` (checked before anything recursive runs). */
export const jsonValue = z
  .unknown()
  .superRefine((v, ctx) => {
    const problem = jsonValueProblem(v);
    if (problem) ctx.addIssue({ code: "custom", message: problem.message });
  })
  .pipe(z.json({ error: "must be JSON" }))
  .meta({ id: "JsonValue", description: `Any JSON value, nested at most ${MAX_JSON_DEPTH} levels.` });

export const nextCursorOutput = z.string().nullable().meta({ description: "Pass as `cursor` to get the next page; null on the last page." });

export const messageOutput = z.object({ message: z.string() });
