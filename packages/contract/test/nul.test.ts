import { describe, expect, it } from "vitest";

import { nulIssues } from "../src/nul.ts";

describe("nulIssues", () => {
  it("names every field holding U+0000, nested ones with dots, and skips path ids", () => {
    expect(nulIssues({ name: "a\u0000", headers: { "X-A": "b\u0000" }, body: { list: ["ok", "c\u0000"], ["k\u0000"]: 1 }, jobId: "\u0000" })).toEqual([
      { field: "name", message: "must not contain NUL (\\u0000) characters" },
      { field: "headers.X-A", message: "must not contain NUL (\\u0000) characters" },
      { field: "body.list.1", message: "must not contain NUL (\\u0000) characters" },
      { field: "body.k\\u0000", message: "must not contain NUL (\\u0000) characters" },
    ]);
    expect(nulIssues({ name: "fine", n: 1, b: null, nested: { deep: [true] } })).toEqual([]);
    expect(nulIssues(undefined)).toEqual([]);
  });
});
