// The REST routes declared in procedure metadata, for the HTTP layer: success status per procedure and
// method/path matching (to answer 405 with an Allow header instead of 404 when only the method is wrong).
import { appRouter } from "./root.ts";
import type { Meta } from "./trpc.ts";

export interface RestRoute {
  method: string;
  /** OpenAPI path relative to the REST base path, e.g. `/jobs/{jobId}`. */
  path: string;
  procedure: string;
  successStatus: number;
  pattern: RegExp;
}

function toPattern(path: string): RegExp {
  const escaped = path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\?\{[^}]+\\?\}|\{[^}]+\}/g, "[^/]+");
  return new RegExp(`^${escaped}/?$`, "i");
}

export const restRoutes: readonly RestRoute[] = Object.entries(appRouter._def.procedures).flatMap(([procedure, proc]) => {
  const meta = (proc as unknown as { _def: { meta?: Meta } })._def.meta;
  if (!meta?.openapi || meta.openapi.enabled === false) return [];
  return [
    {
      method: meta.openapi.method,
      path: meta.openapi.path,
      procedure,
      successStatus: meta.successStatus ?? 200,
      pattern: toPattern(meta.openapi.path),
    },
  ];
});

const successByProcedure = new Map(restRoutes.map((r) => [r.procedure, r.successStatus]));

/** The REST success status of a procedure (200 unless its metadata says 201/202). */
export function successStatusFor(procedurePath: string): number {
  return successByProcedure.get(procedurePath) ?? 200;
}

export type RestMatch = { kind: "match"; route: RestRoute } | { kind: "method-not-allowed"; allow: string[] } | { kind: "none" };

/** Matches a request path (relative to the base path, without query string) against the declared routes. */
export function matchRestRoute(method: string, path: string): RestMatch {
  const candidates = restRoutes.filter((r) => r.pattern.test(path));
  const m = method.toUpperCase();
  const route = candidates.find((r) => r.method === m || (m === "HEAD" && r.method === "GET"));
  if (route) return { kind: "match", route };
  if (candidates.length > 0) return { kind: "method-not-allowed", allow: [...new Set(candidates.map((r) => r.method))] };
  return { kind: "none" };
}
