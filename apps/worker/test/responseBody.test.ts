import { Readable } from "node:stream";

import { describe, expect, it } from "vitest";

import { captureBody, toStorableText, utf8PrefixLength } from "../src/responseBody.ts";

const bytes = (s: string) => new Uint8Array(Buffer.from(s, "utf8"));

describe("utf8PrefixLength", () => {
  it("keeps everything that fits", () => {
    expect(utf8PrefixLength(bytes("abc"), 10)).toBe(3);
  });
  it("never splits a multi-byte character", () => {
    const b = bytes("ab€"); // € is 3 bytes: a b E2 82 AC
    expect(utf8PrefixLength(b, 5)).toBe(5);
    expect(utf8PrefixLength(b, 4)).toBe(2);
    expect(utf8PrefixLength(b, 3)).toBe(2);
    expect(utf8PrefixLength(b, 2)).toBe(2);
    const four = bytes("a😀b"); // 😀 is 4 bytes
    expect(utf8PrefixLength(four, 4)).toBe(1);
    expect(utf8PrefixLength(four, 5)).toBe(5);
  });
  it("leaves invalid bytes to the decoder", () => {
    const b = new Uint8Array([0x61, 0x80, 0x80, 0x80, 0x80, 0x62]);
    expect(utf8PrefixLength(b, 5)).toBe(5);
  });
});

describe("toStorableText", () => {
  it("replaces NUL and invalid UTF-8 with U+FFFD", () => {
    expect(toStorableText(new Uint8Array([0x61, 0x00, 0x62, 0xff]))).toBe("a\uFFFDb\uFFFD");
  });
});

describe("captureBody", () => {
  it("counts every byte but keeps only the cap, cut on a boundary", async () => {
    const src = Readable.from([Buffer.from("héllo "), Buffer.from("wörld")]);
    const out = await captureBody(src, { storedBytes: 2 });
    expect(out).toEqual({ text: "h", truncated: true, bytes: 13, bytesCapped: false });
  });
  it("stops reading at the read limit and reports Content-Length when known", async () => {
    let pulled = 0;
    async function* chunks() {
      for (let i = 0; i < 1000; i++) {
        pulled++;
        yield new Uint8Array(1024).fill(0x41);
      }
    }
    const out = await captureBody(chunks(), { storedBytes: 10, maxReadBytes: 4096, contentLength: 1_024_000 });
    expect(pulled).toBe(4);
    expect(out).toEqual({ text: "AAAAAAAAAA", truncated: true, bytes: 1_024_000, bytesCapped: false });
  });
  it("without Content-Length, a body read only up to the limit reports the bytes read and says they are a lower bound", async () => {
    async function* chunks() {
      for (let i = 0; i < 1000; i++) yield new Uint8Array(1024).fill(0x41);
    }
    const out = await captureBody(chunks(), { storedBytes: 10, maxReadBytes: 4096 });
    expect(out).toEqual({ text: "AAAAAAAAAA", truncated: true, bytes: 4096, bytesCapped: true });
    // A body that ends exactly at the limit is not capped.
    const exact = await captureBody(Readable.from([Buffer.alloc(4095, 0x41)]), { storedBytes: 10, maxReadBytes: 4096 });
    expect(exact.bytesCapped).toBe(false);
  });
});
