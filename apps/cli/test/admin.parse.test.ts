import { describe, expect, it } from "vitest";

import { parseEmail, parseExpiresAt, parseKeyName, parsePassword, parseScopes } from "../src/commands/admin.ts";

describe("admin input parsing", () => {
  it("trims and lower-cases emails and rejects malformed ones", () => {
    expect(parseEmail("  Alice@Example.COM ")).toBe("alice@example.com");
    expect(() => parseEmail("not-an-email")).toThrow("--email is not a valid email address: not-an-email");
    expect(() => parseEmail("   ")).toThrow("--email must not be empty");
    expect(() => parseEmail(`${"a".repeat(250)}@example.com`)).toThrow("at most 254");
  });

  it("requires passwords of at least 8 characters", () => {
    expect(parsePassword("12345678")).toBe("12345678");
    expect(() => parsePassword("1234567")).toThrow("--password must be at least 8 characters");
  });

  it("parses scopes into canonical order without duplicates", () => {
    expect(parseScopes("runs:read, jobs:write,jobs:read,jobs:write")).toEqual(["jobs:read", "jobs:write", "runs:read"]);
    expect(() => parseScopes("jobs:read,jobs:admin")).toThrow(
      'invalid scope "jobs:admin"; valid scopes: jobs:read, jobs:write, jobs:delete, jobs:trigger, runs:read, keys:read, keys:write',
    );
    expect(() => parseScopes(" , ")).toThrow("--scopes must list at least one scope");
  });

  it("accepts RFC 3339 expiry times in the future only", () => {
    const now = new Date("2026-01-01T00:00:00Z");
    expect(parseExpiresAt(undefined, now)).toBeNull();
    expect(parseExpiresAt("2027-06-01T12:00:00+02:00", now)?.toISOString()).toBe("2027-06-01T10:00:00.000Z");
    expect(() => parseExpiresAt("2025-01-01T00:00:00Z", now)).toThrow("--expires-at must be in the future");
    expect(() => parseExpiresAt("tomorrow", now)).toThrow("--expires-at must be an RFC 3339 timestamp");
  });

  it("trims key names and bounds their length", () => {
    expect(parseKeyName("  deploy ")).toBe("deploy");
    expect(() => parseKeyName(" ")).toThrow("--name must not be empty");
    expect(() => parseKeyName("x".repeat(201))).toThrow("--name must be at most 200 characters");
  });
});
