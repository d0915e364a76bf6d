// Interactive API reference at /docs (Scalar), served entirely from this server: the plugin ships its JS bundle
// and serves it at /docs/js/scalar.js; fonts and telemetry-like extras that would reach other hosts are off.
// GET /api/v1 is the API root: a small JSON index that links the document and the docs.
//
// CSP: the plugin's own page boots Scalar with an inline <script>, which the server's policy (script-src 'self')
// blocks, leaving a blank page. So the page route gets our handler instead, and the bootstrap is a same-origin
// file (/docs/init.js): scripts stay 'self' only. Styles cannot: the bundle (Vue) creates <style> elements and
// style attributes at run time in several places, most without the CSP nonce it supports for its main stylesheet,
// so a nonce leaves the page half-styled with violations. This one route therefore allows inline styles
// (`style-src 'self' 'unsafe-inline'`); it renders only our own OpenAPI document, no user data. Every other
// response keeps the strict policy.
import scalar from "@scalar/fastify-api-reference";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

import { API_VERSION, REST_BASE_PATH } from "@btick/contract";

import { contentSecurityPolicy } from "./security.ts";

export const DOCS_PATH = "/docs";
const TITLE = "BTick API reference";

/** Scalar's configuration (the JSON handed to createApiReference by /docs/init.js). */
export const SCALAR_CONFIGURATION = {
  title: TITLE,
  url: `${REST_BASE_PATH}/openapi.json`,
  withDefaultFonts: false,
  hideClientButton: true,
  telemetry: false,
  theme: "default",
  defaultOpenAllTags: true,
} as const;

const INIT_JS = `"use strict";
// zod (inside the bundle) probes for eval support with Function(""), which the CSP refuses and reports; zod's
// documented jitless mode skips the probe.
globalThis.__zod_globalConfig = Object.assign(globalThis.__zod_globalConfig || {}, { jitless: true });
// Loaded before the bundle (for the setting above); the reference is created once the bundle has run.
document.addEventListener("DOMContentLoaded", function () {
  Scalar.createApiReference("#app", ${JSON.stringify({ _integration: "fastify", ...SCALAR_CONFIGURATION }, null, 2)});
});
`;

function page(): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${TITLE}</title>
  </head>
  <body>
    <div id="app"></div>
    <script src="init.js"></script>
    <script src="js/scalar.js"></script>
  </body>
</html>
`;
}

async function docsPage(_request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  return reply
    .header("content-security-policy", contentSecurityPolicy({ "style-src": ["'self'", "'unsafe-inline'"] }))
    .header("cache-control", "no-store")
    .type("text/html; charset=utf-8")
    .send(page());
}

export async function docsPlugin(app: FastifyInstance): Promise<void> {
  await app.register(async (docs) => {
    // Keep the plugin's bundle and redirect routes; render the page itself with docsPage (see the header comment).
    docs.addHook("onRoute", (route) => {
      if (route.url === `${DOCS_PATH}/` && (route.method === "GET" || route.method === "HEAD")) route.handler = docsPage;
    });
    await docs.register(scalar, { routePrefix: DOCS_PATH, logLevel: "warn", configuration: SCALAR_CONFIGURATION });
  });
  app.get(`${DOCS_PATH}/init.js`, async (_request, reply) =>
    reply.type("text/javascript; charset=utf-8").header("cache-control", "no-cache").send(INIT_JS),
  );

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
