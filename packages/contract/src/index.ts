// Public surface of the contract: the router, its types, the context factory, the server-side caller, the
// OpenAPI document builder and the error envelope helpers.
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";

import { appRouter, type AppRouter } from "./root.ts";
import { createCallerFactory } from "./trpc.ts";

export { appRouter, type AppRouter };
export { createContext, authenticateApiKey, type Context, type CreateContextOptions, type Principal } from "./context.ts";
export { buildOpenApiDocument, API_VERSION, REST_BASE_PATH, type OpenApiOptions } from "./openapi.ts";
export {
  errorEnvelope,
  errorCodeForStatus,
  envelopeFromTRPCError,
  INTERNAL_ERROR_MESSAGE,
  TRPC_MAX_BATCH_SIZE,
  type ErrorEnvelope,
  type FieldIssue,
} from "./errors.ts";
export { jsonDepthProblem, jsonValueProblem, jsonValueProblems, MAX_JSON_DEPTH } from "./schemas/json.ts";
export {
  CONCURRENCY_POLICIES,
  HTTP_METHODS,
  JOB_DEFAULTS,
  JOB_FIELD_RANGES,
  JOB_TEXT_LIMITS,
  MISFIRE_POLICIES,
  type ConcurrencyPolicy,
  type MisfirePolicy,
} from "./schemas/jobs.ts";
export { RUN_STATUSES, type RunStatus } from "./schemas/runs.ts";
export {
  createSecretsOptions,
  developmentSecretsOptions,
  MASK,
  DEFAULT_PREVIOUS_SIGNING_SECRET_TTL_SECONDS,
  type SecretsOptions,
} from "./services/secrets.ts";
export { DEFAULT_JOB_LIMITS, type JobLimits } from "./services/limits.ts";
export { matchRestRoute, successStatusFor, restRoutes, type RestMatch, type RestRoute } from "./rest.ts";

/** Server-side caller (e.g. for the UI): `createCaller(await createContext({ db, principal }))`. */
export const createCaller = createCallerFactory(appRouter);

export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
