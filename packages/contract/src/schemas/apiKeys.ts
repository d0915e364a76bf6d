// API key input/output schemas.
import { z } from "zod";

import { SCOPES } from "@btick/auth";

import { nextCursorOutput, pageCursor, pageLimit, pathId, timestamp, typeError } from "./common.ts";

export const API_KEY_STATES = ["active", "expired", "revoked"] as const;

export const apiKeyCreateInput = z.strictObject({
  name: z
    .string({ error: typeError("a string") })
    .trim()
    .min(1, "must not be empty")
    .max(200, "must be at most 200 characters"),
  scopes: z
    .array(z.enum(SCOPES, { error: `must be one of ${SCOPES.join(", ")}` }), { error: typeError("an array of scopes") })
    .min(1, "must contain at least one scope")
    .max(SCOPES.length * 4, "has too many entries")
    .transform((s) => SCOPES.filter((scope) => s.includes(scope))),
  expires_at: z.iso
    .datetime({ offset: true, error: "must be an RFC 3339 timestamp" })
    .nullable()
    .default(null)
    .refine((v) => v === null || !(Date.parse(v) <= Date.now()), "must be in the future"),
});
export type ApiKeyCreateInput = z.infer<typeof apiKeyCreateInput>;

export const apiKeyListInput = z.object({ limit: pageLimit(50), cursor: pageCursor }).prefault({});
export type ApiKeyListInput = z.infer<typeof apiKeyListInput>;

export const apiKeyIdInput = z.object({ keyId: pathId("keyId") });

export const apiKeyOutput = z
  .object({
    id: z.uuid(),
    name: z.string(),
    key_prefix: z.string(),
    scopes: z.array(z.enum(SCOPES)),
    tenant_id: z.uuid(),
    created_by: z.string().nullable(),
    last_used_at: timestamp.nullable(),
    expires_at: timestamp.nullable(),
    revoked_at: timestamp.nullable(),
    created_at: timestamp,
    state: z.enum(API_KEY_STATES),
  })
  .meta({ id: "ApiKey" });
export type ApiKeyOutput = z.infer<typeof apiKeyOutput>;

export const apiKeyEnvelopeOutput = z.object({ api_key: apiKeyOutput });
export const apiKeyCreatedOutput = z.object({
  api_key: apiKeyOutput,
  raw_key: z.string().meta({ description: "The full key; shown only in this response." }),
});
export const apiKeyListOutput = z.object({ api_keys: z.array(apiKeyOutput), next_cursor: nextCursorOutput });
