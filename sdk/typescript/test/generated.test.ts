// The generated wire types must match the router's current types.
import { readFileSync } from "node:fs";

import { describe, expect, it } from "vitest";

import { generateTypes, OUTPUT_FILE } from "../scripts/generate-types.ts";

describe("src/generated/api-types.ts", () => {
  it("is up to date with the router (run `pnpm --filter @btick/sdk generate`)", () => {
    expect(readFileSync(OUTPUT_FILE, "utf8")).toBe(generateTypes());
  });

  it("contains no `any`", () => {
    expect(readFileSync(OUTPUT_FILE, "utf8")).not.toMatch(/\bany\b/);
  });
});
