// JSON request bodies, parsed once for every surface (/api/v1, /trpc). Beyond JSON.parse (iterative in V8, so
// safe at any depth) every body must pass `jsonValueProblem`: no nesting deeper than the contract allows and
// no strings PostgreSQL cannot store. Checking here keeps such values away from tRPC's and zod's recursive code.
// An empty body parses as "no body".
import type { FastifyInstance, FastifyRequest } from "fastify";
import fp from "fastify-plugin";

import { jsonValueProblem } from "@btick/contract";

export class JsonBodyError extends Error {
  readonly statusCode = 400;
  readonly code = "BTICK_INVALID_JSON_BODY";
}

export function parseJsonBody(text: string): unknown {
  if (text.trim() === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new JsonBodyError("invalid JSON body");
  }
  const problem = jsonValueProblem(value);
  if (problem) throw new JsonBodyError(`invalid JSON body: ${problem.path ? `${problem.path} ` : ""}${problem.message}`);
  return value;
}

export function jsonParser(_request: FastifyRequest, body: string, done: (err: Error | null, value?: unknown) => void): void {
  try {
    done(null, parseJsonBody(body));
  } catch (err) {
    done(err as Error);
  }
}

async function jsonBody(app: FastifyInstance): Promise<void> {
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, jsonParser);
}

export const jsonBodyPlugin = fp(jsonBody, { name: "btick-json-body" });
