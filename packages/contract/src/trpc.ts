// The one tRPC instance, its error formatter and the procedure builders.
import { initTRPC, TRPCError } from "@trpc/server";
import type { OpenApiMeta } from "trpc-to-openapi";

import type { Scope } from "@btick/auth";

import type { Context, Principal } from "./context.ts";
import { envelopeFromTRPCError, validationError, type ErrorEnvelope } from "./errors.ts";
import { jsonValueProblems } from "./schemas/json.ts";

/** Our procedure metadata: trpc-to-openapi's plus the REST success status when it is not 200. */
export type Meta = OpenApiMeta<{ successStatus?: 201 | 202 }>;

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    isDev: false,
    errorFormatter({ shape, error }) {
      const envelope: ErrorEnvelope = envelopeFromTRPCError(error);
      return {
        message: envelope.error.error_message,
        code: shape.code,
        data: {
          code: shape.data.code,
          httpStatus: envelope.status,
          path: shape.data.path,
          envelope,
        },
      };
    },
  });

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

export const publicProcedure = t.procedure;

/**
 * Inputs too deeply nested or holding strings the database cannot store (see schemas/json.ts) are a validation
 * error, one entry per offending field, all at once. Checked once the caller is authenticated and authorized, so
 * those answers do not depend on the body.
 */
const rejectUnstorableInput = t.middleware(async ({ getRawInput, next }) => {
  const problems = jsonValueProblems(await getRawInput());
  if (problems.length > 0) throw validationError(problems.map((p) => ({ field: p.path || "body", message: p.message })));
  return next();
});

/** Requires an authenticated principal (API key or UI user), whatever its scopes. */
export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.principal) throw new TRPCError({ code: "UNAUTHORIZED", message: ctx.authFailure ?? "missing bearer token" });
  return next({ ctx: { ...ctx, principal: ctx.principal satisfies Principal } });
});

/** Requires an authenticated principal holding exactly `scope` (no scope implies another). */
export const scopedProcedure = (scope: Scope) =>
  authedProcedure.use(({ ctx, next }) => {
    if (!ctx.principal.scopes.includes(scope)) {
      throw new TRPCError({ code: "FORBIDDEN", message: `this operation requires the ${scope} scope` });
    }
    return next();
  }).use(rejectUnstorableInput);
