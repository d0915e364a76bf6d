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

/** A request body that is not JSON (415). */
export class UnsupportedMediaTypeError extends Error {
  readonly statusCode = 415;
  readonly code = "BTICK_UNSUPPORTED_MEDIA_TYPE";
  constructor(contentType: string, accepted = "application/json, or application/merge-patch+json for PATCH") {
    super(`unsupported content type "${mediaType(contentType).slice(0, 100)}": send the body as JSON (Content-Type: ${accepted})`);
  }
}

/** The media type of a Content-Type value, lower-cased, without parameters. */
export function mediaType(contentType: string): string {
  return (contentType.split(";", 1)[0] ?? "").trim().toLowerCase();
}

/** application/json, or a JSON-based type application/<x>+json (application/merge-patch+json, …). */
export function isJsonMediaType(contentType: string): boolean {
  const type = mediaType(contentType);
  return type === "application/json" || /^application\/[a-z0-9!#$&^_.-]+\+json$/.test(type);
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

/**
 * For a scope that takes only JSON whatever the request says (the REST API): a JSON type or no Content-Type is parsed
 * as JSON; an empty body of any type is no body; any other body is refused with 415.
 */
export function jsonOnlyParser(request: FastifyRequest, body: string, done: (err: Error | null, value?: unknown) => void): void {
  const type = request.headers["content-type"];
  if (typeof type === "string" && type.trim() !== "" && !isJsonMediaType(type)) {
    if (body.trim() === "") done(null, undefined);
    else done(new UnsupportedMediaTypeError(type));
    return;
  }
  jsonParser(request, body, done);
}

async function jsonBody(app: FastifyInstance): Promise<void> {
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, jsonParser);
}

export const jsonBodyPlugin = fp(jsonBody, { name: "btick-json-body" });
