// @btick/sdk: typed client for the BTick API.
export { BTick, DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS } from "./client.ts";
export type {
  ApiKeysApi,
  ApiKeysIterateInput,
  BTickOptions,
  FetchLike,
  JobsApi,
  JobsIterateInput,
  RequestOptions,
  RunsApi,
  RunsIterateInput,
} from "./client.ts";
export { BTickError } from "./errors.ts";
export type { ErrorCode, ErrorEnvelope, FieldError } from "./errors.ts";
export type * from "./generated/api-types.ts";
