import { PassThrough } from "node:stream";

import pino from "pino";
import { describe, expect, it } from "vitest";

import { formatLogLine, logDestination, prettyStream } from "../src/index.ts";

describe("formatLogLine", () => {
  it("renders pino records readably and passes other lines through", () => {
    const line = JSON.stringify({ level: 30, time: Date.UTC(2026, 0, 1, 12, 0, 5), msg: "run finished", pid: 1, job_id: "j", run_id: "r" });
    expect(formatLogLine(line)).toBe('12:00:05 INFO  run finished {"job_id":"j","run_id":"r"}');
    expect(formatLogLine("plain text")).toBe("plain text");
    expect(formatLogLine("{not json")).toBe("{not json");
  });
});

describe("destinations", () => {
  it("pretty-prints through a stream when asked", async () => {
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on("data", (c: Buffer) => chunks.push(c.toString()));
    const log = pino({ level: "info" }, prettyStream(out));
    log.info({ run_id: "r1" }, "hello");
    await new Promise((r) => setTimeout(r, 10));
    expect(chunks.join("")).toMatch(/^\d\d:\d\d:\d\d INFO {2}hello \{"run_id":"r1"\}\n$/);
  });

  it("writes JSON unless stdout is a terminal", () => {
    const notTty = { isTTY: false } as NodeJS.WriteStream;
    const tty = { isTTY: true, write: () => true } as unknown as NodeJS.WriteStream;
    expect(logDestination(tty)).toHaveProperty("_write");
    expect(logDestination(notTty)).not.toHaveProperty("_write");
  });
});
