// Prometheus metrics for the API: request count and latency by method, route pattern and status, plus the
// default process metrics, served at GET /metrics. REST requests are labelled with the REST route pattern
// (`/api/v1/jobs/{jobId}`), never the raw URL, so ids do not multiply the series.
import type { FastifyInstance, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

import { matchRestRoute, REST_BASE_PATH } from "@btick/contract";

import { requestPath } from "./requestPath.ts";

/** The label for a request's route: the REST pattern, the Fastify route pattern, or "unmatched". */
export function routeLabel(request: FastifyRequest): string {
  const path = requestPath(request);
  if (path.startsWith(`${REST_BASE_PATH}/`)) {
    const match = matchRestRoute(request.method, path.slice(REST_BASE_PATH.length));
    if (match.kind === "match") return `${REST_BASE_PATH}${match.route.path}`;
  }
  const pattern = request.routeOptions.url;
  return pattern && !pattern.includes("*") ? pattern : "unmatched";
}

async function metrics(app: FastifyInstance, opts: { registry?: Registry }): Promise<void> {
  const registry = opts.registry ?? new Registry();
  collectDefaultMetrics({ register: registry });
  const labelNames = ["method", "route", "status_code"] as const;
  const requests = new Counter({
    name: "btick_api_http_requests_total",
    help: "HTTP requests answered, by method, route pattern and status.",
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "btick_api_http_request_duration_seconds",
    help: "HTTP request latency, by method, route pattern and status.",
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  app.addHook("onResponse", async (request, reply) => {
    const labels = { method: request.method, route: routeLabel(request), status_code: String(reply.statusCode) };
    requests.inc(labels);
    duration.observe(labels, reply.elapsedTime / 1000);
  });

  app.get("/metrics", async (_request, reply) => reply.type(registry.contentType).header("cache-control", "no-store").send(await registry.metrics()));
}

export const metricsPlugin = fp(metrics, { name: "btick-metrics" });
