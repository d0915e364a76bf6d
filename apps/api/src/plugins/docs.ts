// Interactive API reference at /docs (Scalar), served entirely from this server: the plugin ships its JS bundle
// and serves it at /docs/js/scalar.js; fonts and telemetry-like extras that would reach other hosts are off.
// GET /api/v1 is the API root: a small JSON index that links the document and the docs.
import scalar from "@scalar/fastify-api-reference";
import type { FastifyInstance } from "fastify";

import { API_VERSION, REST_BASE_PATH } from "@btick/contract";

export const DOCS_PATH = "/docs";

export async function docsPlugin(app: FastifyInstance): Promise<void> {
  await app.register(scalar, {
    routePrefix: DOCS_PATH,
    logLevel: "warn",
    configuration: {
      title: "BTick API reference",
      url: `${REST_BASE_PATH}/openapi.json`,
      withDefaultFonts: false,
      hideClientButton: true,
      telemetry: false,
      theme: "default",
      defaultOpenAllTags: true,
    },
  });

  const index = {
    name: "BTick API",
    version: API_VERSION,
    docs: DOCS_PATH,
    openapi: `${REST_BASE_PATH}/openapi.json`,
    health: `${REST_BASE_PATH}/health`,
  };
  app.get(REST_BASE_PATH, async (_req, reply) =>
    reply
      .type("application/json; charset=utf-8")
      .header("link", `<${DOCS_PATH}>; rel="service-doc", <${REST_BASE_PATH}/openapi.json>; rel="service-desc"`)
      .send(index),
  );
}
