import { apiKeyCreatedOutput, apiKeyCreateInput, apiKeyEnvelopeOutput, apiKeyIdInput, apiKeyListInput, apiKeyListOutput } from "../schemas/apiKeys.ts";
import { createApiKey, listApiKeys, revokeApiKey } from "../services/apiKeys.ts";
import { scopedProcedure } from "../trpc.ts";

const tags = ["api-keys"];

export const apiKeysRouter = {
  create: scopedProcedure("keys:write")
    .meta({
      openapi: {
        method: "POST",
        path: "/api-keys",
        tags,
        summary: "Create an API key (scopes must be a subset of the caller's); the raw key is shown once",
        protect: true,
        successDescription: "Created",
      },
      successStatus: 201,
    })
    .input(apiKeyCreateInput)
    .output(apiKeyCreatedOutput)
    .mutation(({ ctx, input }) => createApiKey(ctx.db, ctx.principal, input, ctx.limits)),

  list: scopedProcedure("keys:read")
    .meta({ openapi: { method: "GET", path: "/api-keys", tags, summary: "List API keys, newest first (revoked included)", protect: true } })
    .input(apiKeyListInput)
    .output(apiKeyListOutput)
    .query(({ ctx, input }) => listApiKeys(ctx.db, ctx.principal.tenantId, input)),

  revoke: scopedProcedure("keys:write")
    .meta({ openapi: { method: "POST", path: "/api-keys/{keyId}/revoke", tags, summary: "Revoke an API key (idempotent)", protect: true } })
    .input(apiKeyIdInput)
    .output(apiKeyEnvelopeOutput)
    .mutation(async ({ ctx, input }) => ({ api_key: await revokeApiKey(ctx.db, ctx.principal.tenantId, input.keyId) })),
};
