// Logging for the services: pino JSON lines (one object per line, for log shippers), or, when stdout is a
// terminal, a readable `12:00:00 INFO  message {fields}` rendering of the same records. No transport thread.
import { Writable } from "node:stream";

import pino, { type DestinationStream, type Logger, type LoggerOptions } from "pino";

const LEVELS: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };
const OMIT = new Set(["level", "time", "msg", "pid", "hostname", "service", "v"]);
const COLORS: Record<number, string> = { 40: "\x1b[33m", 50: "\x1b[31m", 60: "\x1b[31m" };

/** Renders one pino JSON line as `12:00:00 INFO  message {extra fields}`; other lines pass unchanged. */
export function formatLogLine(line: string, opts: { color?: boolean } = {}): string {
  if (!line.startsWith("{")) return line;
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof rec.level !== "number" || typeof rec.msg !== "string") return line;
  const time = typeof rec.time === "number" ? new Date(rec.time).toISOString().slice(11, 19) : "";
  let level = (LEVELS[rec.level] ?? String(rec.level)).padEnd(5);
  const color = opts.color ? COLORS[rec.level] : undefined;
  if (color) level = `${color}${level}\x1b[0m`;
  const extra = Object.fromEntries(Object.entries(rec).filter(([k]) => !OMIT.has(k)));
  const rest = Object.keys(extra).length > 0 ? ` ${JSON.stringify(extra)}` : "";
  return `${time} ${level} ${rec.msg}${rest}`.trimStart();
}

/** A pino destination that writes formatLogLine() output to `out`. */
export function prettyStream(out: NodeJS.WritableStream = process.stdout, opts: { color?: boolean } = {}): DestinationStream {
  let pending = "";
  return new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      pending += chunk.toString();
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) if (line !== "") out.write(`${formatLogLine(line, opts)}\n`);
      cb();
    },
  });
}

/** Where the services' logs go: JSON to stdout, or the readable format when stdout is a TTY. */
export function logDestination(stdout: NodeJS.WriteStream = process.stdout): DestinationStream {
  return stdout.isTTY ? prettyStream(stdout, { color: true }) : pino.destination(1);
}

export function createLogger(opts: LoggerOptions, destination: DestinationStream = logDestination()): Logger {
  return pino(opts, destination);
}
