// Serves the generated OpenAPI document.
import type { FastifyInstance } from "fastify";

import { buildOpenApiDocument, REST_BASE_PATH } from "@btick/contract";

export async function openapiPlugin(app: FastifyInstance): Promise<void> {
  const document = buildOpenApiDocument({ baseUrl: REST_BASE_PATH });
  app.get(`${REST_BASE_PATH}/openapi.json`, async (_req, reply) => reply.type("application/json; charset=utf-8").send(document));
}
