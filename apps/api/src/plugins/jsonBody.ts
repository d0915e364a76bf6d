// JSON request bodies, parsed once for every surface (/api/v1, /trpc). Beyond JSON.parse (iterative in V8, so
// safe at any depth) every body must pass `jsonDepthProblem`: no nesting deeper than the contract allows. Checking
// here keeps such values away from tRPC's and zod's recursive code. Strings PostgreSQL cannot store are reported
// per field by the procedures (see the contract's rejectUnstorableInput). An empty body parses as "no body".
import type { FastifyInstance, FastifyRequest } from "fastify";
import fp from "fastify-plugin";

import { jsonDepthProblem } from "@btick/contract";

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
  const problem = jsonDepthProblem(value);
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
