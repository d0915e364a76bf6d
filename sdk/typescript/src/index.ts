// @btick/sdk: typed client for the BTick API.
export { BTick, DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS } from "./client.ts";
export type {
  AbortSignalLike,
  AbortSignalShape,
  ApiKeysApi,
  ApiKeysIterateInput,
  BTickOptions,
  FetchInit,
  FetchLike,
  FetchResponse,
  JobsApi,
  JobsIterateInput,
  RequestOptions,
  RunsApi,
  RunsIterateInput,
} from "./client.ts";
export { BTickError } from "./errors.ts";
export type { BTickErrorInit, ErrorCode, ErrorEnvelope, FieldError } from "./errors.ts";
export { DEFAULT_TOLERANCE_SECONDS, verifyWebhook } from "./webhooks.ts";
export type { VerifyWebhookInput, VerifyWebhookResult, WebhookHeaders } from "./webhooks.ts";
export * from "./generated/api-types.ts";
