// The envelope mapping for errors that do not come from validation.
import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";

import { envelopeFromTRPCError, errorCodeForStatus, errorEnvelope } from "../src/index.ts";

describe("error envelope", () => {
  it.each([
    [400, "INVALID_REQUEST"],
    [401, "UNAUTHORIZED"],
    [403, "FORBIDDEN"],
    [404, "NOT_FOUND"],
    [405, "NOT_ALLOWED"],
    [408, "REQUEST_TIMEOUT"],
    [409, "CONFLICT"],
    [413, "PAYLOAD_TOO_LARGE"],
    [415, "UNSUPPORTED_MEDIA_TYPE"],
    [429, "TOO_MANY_REQUESTS"],
    [431, "REQUEST_HEADER_FIELDS_TOO_LARGE"],
    [503, "SERVICE_UNAVAILABLE"],
    [500, "INTERNAL_SERVER_ERROR"],
    [502, "INTERNAL_SERVER_ERROR"],
  ])("maps status %i to %s", (status, code) => {
    expect(errorCodeForStatus(status)).toBe(code);
  });

  it("omits validation unless given", () => {
    expect(errorEnvelope(404, "job not found")).toEqual({ status: 404, error: { error_code: "NOT_FOUND", error_message: "job not found" } });
    expect(errorEnvelope(400, "Validation failed", [])).toHaveProperty("validation", []);
  });

  it("lists at most 50 validation problems, then one entry counting the rest", () => {
    const issues = (n: number) => Array.from({ length: n }, (_, i) => ({ field: `f${i}`, message: "is invalid" }));
    expect(errorEnvelope(400, "Validation failed", issues(50)).validation).toEqual(issues(50));
    expect(errorEnvelope(400, "Validation failed", issues(51)).validation).toEqual([
      ...issues(50),
      { field: "*", message: "1 more problem not listed (only the first 50 are)" },
    ]);
    expect(errorEnvelope(400, "Validation failed", issues(1000)).validation?.at(-1)).toEqual({
      field: "*",
      message: "950 more problems not listed (only the first 50 are)",
    });
  });

  it("never leaks an internal error's message", () => {
    const err = new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "connection to 10.0.0.5 refused", cause: new Error("secret") });
    expect(envelopeFromTRPCError(err)).toEqual({
      status: 500,
      error: { error_code: "INTERNAL_SERVER_ERROR", error_message: "internal server error" },
    });
  });

  it("renders parse errors as 'invalid JSON body' and keeps 4xx messages", () => {
    expect(envelopeFromTRPCError(new TRPCError({ code: "PARSE_ERROR", message: "Unexpected token" })).error.error_message).toBe("invalid JSON body");
    expect(envelopeFromTRPCError(new TRPCError({ code: "CONFLICT", message: "already exists" }))).toEqual({
      status: 409,
      error: { error_code: "CONFLICT", error_message: "already exists" },
    });
  });
});
