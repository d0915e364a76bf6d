import { describe, expect, it } from "vitest";

import { formatLogLine } from "../src/services.ts";

describe("formatLogLine", () => {
  it("renders pino JSON lines compactly", () => {
    const line = JSON.stringify({ level: 30, time: Date.parse("2026-01-01T12:34:56Z"), pid: 1, hostname: "h", msg: "started", worker_id: "w1" });
    expect(formatLogLine(line)).toBe('12:34:56 INFO  started {"worker_id":"w1"}');
    expect(formatLogLine(JSON.stringify({ level: 50, time: 0, msg: "boom" }))).toBe("00:00:00 ERROR boom");
  });

  it("passes other lines through", () => {
    expect(formatLogLine("plain text")).toBe("plain text");
    expect(formatLogLine("{not json")).toBe("{not json");
    expect(formatLogLine('{"a":1}')).toBe('{"a":1}');
  });
});
