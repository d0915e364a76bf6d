// The OpenAPI 3.1 document of the REST surface, generated from the router's metadata and zod schemas, then
// adjusted to what the server really sends: 201/202 success statuses and the error envelope for errors.
import { generateOpenApiDocument, type OpenAPIObject } from "trpc-to-openapi";

import { DEFAULT_ERROR_EXAMPLES, OPERATION_DOCS, TAG_DESCRIPTIONS } from "./openapi-examples.ts";
import { restRoutes } from "./rest.ts";
import { appRouter } from "./root.ts";

export const API_VERSION = "0.1.0";
export const REST_BASE_PATH = "/api/v1";

type SchemaObject = NonNullable<NonNullable<OpenAPIObject["components"]>["schemas"]>[string];

const errorEnvelopeSchema: SchemaObject = {
  type: "object",
  required: ["status", "error"],
  properties: {
    status: { type: "integer", description: "The HTTP status code." },
    error: {
      type: "object",
      required: ["error_code", "error_message"],
      properties: {
        error_code: {
          type: "string",
          enum: [
            "INVALID_REQUEST",
            "UNAUTHORIZED",
            "FORBIDDEN",
            "NOT_FOUND",
            "NOT_ALLOWED",
            "REQUEST_TIMEOUT",
            "CONFLICT",
            "PAYLOAD_TOO_LARGE",
            "UNSUPPORTED_MEDIA_TYPE",
            "TOO_MANY_REQUESTS",
            "REQUEST_HEADER_FIELDS_TOO_LARGE",
            "SERVICE_UNAVAILABLE",
            "INTERNAL_SERVER_ERROR",
          ],
        },
        error_message: { type: "string" },
      },
    },
    validation: {
      type: "array",
      description:
        "Present only for validation failures: one entry per invalid field (snake_case, nested as `headers.X-Foo`), at most 50; when there are more, a last entry with field `*` says how many were left out.",
      items: {
        type: "object",
        required: ["field", "message"],
        properties: { field: { type: "string" }, message: { type: "string" } },
      },
    },
  },
};

const ERROR_DESCRIPTIONS: Record<string, string> = {
  "400": "Invalid request (validation failed, malformed JSON or a malformed id)",
  "401": "Missing bearer token or invalid API key",
  "403": "The API key lacks the required scope",
  "404": "Not found (including another tenant's resources)",
  "405": "Method not allowed",
  "413": "Request body too large (limit 1 MiB)",
  "415": "The body is not JSON: send it with `Content-Type: application/json` (or `application/*+json`, e.g. `application/merge-patch+json`); a request without a Content-Type is read as JSON",
  "429":
    "Too many requests: the API key (or, for a request without a valid key, the client IP) used up its requests for the minute (`API_RATE_LIMIT_PER_MINUTE`, per key; each call of a tRPC batch counts), or the client IP is locked out for the rest of the minute after too many failed authentications (`API_AUTH_FAILURES_PER_MINUTE`). `Retry-After` says how many seconds to wait.",
  "500": "Internal server error",
  "503": "Service unavailable: the database cannot be reached or did not answer in time (`DATABASE_QUERY_TIMEOUT_MS`); retry later",
};

/** 429 of the creates: besides the rate limits, the tenant's quota of jobs or of active API keys. */
const QUOTA_429: Record<string, string> = {
  "jobs.create": " Also the tenant's job quota (`TENANT_MAX_JOBS`): that 429 has no `Retry-After`, since waiting does not help; delete jobs first.",
  "apiKeys.create":
    " Also the tenant's quota of active API keys (`TENANT_MAX_API_KEYS`; revoked and expired keys do not count): that 429 has no `Retry-After`, since waiting does not help; revoke keys first.",
};

/** Headers of a 429 response. */
const RATE_LIMIT_HEADERS = {
  "Retry-After": {
    description: "Seconds until the request may be retried (rate limit and lockout; absent for the quotas).",
    schema: { type: "integer", minimum: 1 },
  },
  "X-RateLimit-Limit": { description: "Requests allowed per minute (rate limit only).", schema: { type: "integer", minimum: 1 } },
  "X-RateLimit-Remaining": { description: "Requests left in the current minute (rate limit only).", schema: { type: "integer", minimum: 0 } },
  "X-RateLimit-Reset": { description: "Seconds until the current minute's window ends (rate limit only).", schema: { type: "integer", minimum: 0 } },
};

export interface OpenApiOptions {
  /** Server URL put in `servers`; defaults to the relative base path. */
  baseUrl?: string;
}

/** Builds the OpenAPI document (cheap enough to build once at start-up). */
export function buildOpenApiDocument(opts: OpenApiOptions = {}): OpenAPIObject {
  const doc = generateOpenApiDocument(appRouter, {
    title: "BTick API",
    description:
      "BTick schedules recurring HTTP jobs. Authenticate with `Authorization: Bearer <api key>`; every operation needs exactly one scope. Errors use the envelope `{status, error: {error_code, error_message}, validation?}`.",
    version: API_VERSION,
    baseUrl: opts.baseUrl ?? REST_BASE_PATH,
    securitySchemes: { bearerAuth: { type: "http", scheme: "bearer", description: "An API key: skd_<prefix>_<secret>" } },
    tags: ["health", "jobs", "runs", "api-keys"],
  });

  // trpc-to-openapi registers its own error shapes (`error.*`); the server sends the envelope instead.
  const schemas = Object.fromEntries(Object.entries(doc.components?.schemas ?? {}).filter(([name]) => !name.startsWith("error.")));
  // zod's recursive JSON schema comes out as `JsonValue -> __schemaN -> itself`, which code generators turn into
  // self-referencing types; "any JSON value" is exactly the empty schema, so say that instead.
  for (const [name, schema] of Object.entries(schemas)) {
    const ref = (schema as { $ref?: string }).$ref;
    if ((name === "JsonValue" || name === "JsonValueOutput") && ref?.startsWith("#/components/schemas/__schema")) {
      schemas[name] = { description: "Any JSON value (object, array, string, number, boolean or null)." };
      delete schemas[ref.slice("#/components/schemas/".length)];
    }
  }
  if (Object.keys(schemas).some((n) => n.startsWith("__schema"))) throw new Error("OpenAPI: unexpected anonymous schema");
  doc.components = { ...doc.components, schemas: { ...schemas, ErrorEnvelope: errorEnvelopeSchema } };
  doc.tags = (doc.tags ?? []).map((tag) => ({ ...tag, description: TAG_DESCRIPTIONS[tag.name] ?? tag.name }));
  for (const route of restRoutes) {
    const op = doc.paths?.[route.path]?.[route.method.toLowerCase() as "get"];
    if (!op?.responses) continue;
    const docs = OPERATION_DOCS[route.procedure];
    if (!docs) throw new Error(`OpenAPI: no description/examples for ${route.procedure}`);
    op.description = docs.description;
    if (route.procedure === "health.check") {
      // Public and database-free: no security requirement and no server-side failure mode to document.
      op.security = [];
    }
    const responses = op.responses as Record<string, Record<string, unknown>>;
    if (route.successStatus !== 200 && responses["200"]) {
      responses[String(route.successStatus)] = responses["200"];
      delete responses["200"];
    }
    const requestBodyContent = (op.requestBody as { content?: Record<string, Record<string, unknown>> } | undefined)?.content;
    const requestContent = requestBodyContent?.["application/json"];
    if (requestContent && docs.request !== undefined) requestContent["example"] = docs.request;
    // PATCH is a JSON merge patch: its own media type is accepted too.
    if (requestBodyContent && requestContent && route.method === "PATCH") requestBodyContent["application/merge-patch+json"] = { ...requestContent };
    const successContent = (responses[String(route.successStatus)]?.["content"] as Record<string, Record<string, unknown>> | undefined)?.["application/json"];
    if (successContent) successContent["example"] = docs.response;
    // Ids in the path: a malformed one is a 400, an unknown (or another tenant's) one a 404.
    if (route.path.includes("{")) {
      responses["400"] ??= {};
      responses["404"] ??= {};
    } else {
      delete responses["404"];
    }
    if (requestContent) {
      responses["413"] ??= {};
      responses["415"] ??= {};
    }
    if (route.procedure === "health.check") {
      delete responses["500"];
      // Exempt from the rate limits and the lockout, like /healthz and /readyz.
      delete responses["429"];
    } else {
      responses["429"] ??= {};
      responses["503"] ??= {};
    }
    for (const status of Object.keys(responses).sort()) {
      if (status.startsWith("2")) continue;
      const example = docs.errors?.[status] ?? DEFAULT_ERROR_EXAMPLES[status];
      const description = (ERROR_DESCRIPTIONS[status] ?? "Error") + (status === "429" ? (QUOTA_429[route.procedure] ?? "") : "");
      responses[status] = {
        description,
        ...(status === "429" ? { headers: RATE_LIMIT_HEADERS } : {}),
        content: {
          "application/json": { schema: { $ref: "#/components/schemas/ErrorEnvelope" }, ...(example ? { example } : {}) },
        },
      };
    }
    // Keep responses in status order.
    op.responses = Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b))) as typeof op.responses;
  }
  return doc;
}
