// Requests refused by Node's HTTP parser before routing (headers over 16 KiB, malformed requests), sent over a raw
// socket to the listening server: the API answers with its error envelope, other paths with a small HTML page.
import { connect } from "node:net";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { setup, type Harness } from "./harness.ts";

let h: Harness;
let port: number;

beforeAll(async () => {
  h = await setup();
  const url = new URL(await h.app.listen({ port: 0, host: "127.0.0.1" }));
  port = Number(url.port);
}, 60_000);
afterAll(async () => {
  await h?.close();
});

interface RawResponse {
  statusLine: string;
  headers: Record<string, string>;
  body: string;
}

/** Writes `request` as is and reads everything the server sends until it closes the connection. */
async function rawRequest(request: string): Promise<RawResponse> {
  const raw = await new Promise<string>((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });
  const end = raw.indexOf("\r\n\r\n");
  expect(end, `no complete response: ${JSON.stringify(raw.slice(0, 200))}`).toBeGreaterThan(0);
  const [statusLine = "", ...lines] = raw.slice(0, end).split("\r\n");
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]));
  return { statusLine, headers, body: raw.slice(end + 4) };
}

const bigHeader = `X-Big: ${"a".repeat(20_000)}\r\n`;

describe("oversized request headers", () => {
  for (const path of ["/api/v1/jobs", "/api/v1/jobs?limit=5", "/trpc/jobs.list", "/api/nope"]) {
    it(`answer 431 with the envelope on ${path}`, async () => {
      const res = await rawRequest(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer x\r\n${bigHeader}\r\n`);
      expect(res.statusLine).toBe("HTTP/1.1 431 Request Header Fields Too Large");
      expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
      expect(res.headers["connection"]).toBe("close");
      expect(Number(res.headers["content-length"])).toBe(Buffer.byteLength(res.body));
      expect(JSON.parse(res.body)).toEqual({
        status: 431,
        error: {
          error_code: "REQUEST_HEADER_FIELDS_TOO_LARGE",
          error_message: "request headers too large: the request line and headers together may be at most 16 KiB",
        },
      });
    });
  }

  it("answer 431 with the envelope when the URL itself is too long to read", async () => {
    const res = await rawRequest(`GET /api/v1/jobs?q=${"x".repeat(20_000)} HTTP/1.1\r\nHost: localhost\r\n\r\n`);
    expect(res.statusLine).toBe("HTTP/1.1 431 Request Header Fields Too Large");
    expect(JSON.parse(res.body)).toMatchObject({ status: 431, error: { error_code: "REQUEST_HEADER_FIELDS_TOO_LARGE" } });
  });

  it("answer 431 with an HTML page outside the API", async () => {
    const res = await rawRequest(`GET /ui/jobs HTTP/1.1\r\nHost: localhost\r\nAccept: text/html\r\n${bigHeader}\r\n`);
    expect(res.statusLine).toBe("HTTP/1.1 431 Request Header Fields Too Large");
    expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(res.headers["content-security-policy"]).toBe("default-src 'none'");
    expect(res.body).toMatch(/^<!doctype html>/);
    expect(res.body).toContain("<h1>431 Request Header Fields Too Large</h1>");
    expect(res.body).toContain("request headers too large");
  });

  it("leave requests with headers just under the limit alone", async () => {
    const res = await rawRequest(`GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\nX-Big: ${"a".repeat(12_000)}\r\nConnection: close\r\n\r\n`);
    expect(res.statusLine).toBe("HTTP/1.1 200 OK");
  });
});

describe("malformed requests", () => {
  it("answer 400 with the envelope on the API", async () => {
    const res = await rawRequest("GET /api/v1/jobs HTTP/1.1\r\nHost: localhost\r\nNot a header line\r\n\r\n");
    expect(res.statusLine).toBe("HTTP/1.1 400 Bad Request");
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(JSON.parse(res.body)).toEqual({ status: 400, error: { error_code: "INVALID_REQUEST", error_message: "malformed HTTP request" } });
  });
});
