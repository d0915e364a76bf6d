// Child processes of `pnpm start`: each service runs `node --import tsx src/main.ts` in its app folder (as its
// own `start` script does), in its own process group so that only we decide when and how it is signalled.
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";

export interface Service {
  name: string;
  child: ChildProcess;
  /** Resolves with the exit code (128 + n when killed by signal n). */
  exited: Promise<number>;
}

const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

const LEVELS: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };
const OMIT = new Set(["level", "time", "msg", "pid", "hostname", "service", "v"]);

/** Renders one pino JSON line as `12:00:00 INFO  message {extra fields}`; other lines pass unchanged. */
export function formatLogLine(line: string): string {
  if (!line.startsWith("{")) return line;
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof rec.level !== "number" || typeof rec.msg !== "string") return line;
  const time = typeof rec.time === "number" ? new Date(rec.time).toISOString().slice(11, 19) : "";
  const level = (LEVELS[rec.level] ?? String(rec.level)).padEnd(5);
  const extra = Object.fromEntries(Object.entries(rec).filter(([k]) => !OMIT.has(k)));
  const rest = Object.keys(extra).length > 0 ? ` ${JSON.stringify(extra)}` : "";
  return `${time} ${level} ${rec.msg}${rest}`.trimStart();
}

function forward(stream: NodeJS.ReadableStream, prefix: string, out: NodeJS.WritableStream) {
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  lines.on("line", (line) => out.write(`${prefix} ${formatLogLine(line)}\n`));
}

export function startService(o: { name: string; appDir: string; env: NodeJS.ProcessEnv; color: string }): Service {
  const child = spawn(process.execPath, ["--import", tsxLoader, join(o.appDir, "src", "main.ts")], {
    cwd: o.appDir,
    env: o.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const tty = process.stdout.isTTY;
  const prefix = tty ? `${o.color}[${o.name}]\x1b[0m` : `[${o.name}]`;
  forward(child.stdout as NodeJS.ReadableStream, prefix, process.stdout);
  forward(child.stderr as NodeJS.ReadableStream, prefix, process.stderr);
  const exited = new Promise<number>((resolve) => {
    child.once("error", () => resolve(1));
    child.once("exit", (code, signal) => resolve(code ?? 128 + (signal ? signalNumber(signal) : 0)));
  });
  return { name: o.name, child, exited };
}

function signalNumber(signal: NodeJS.Signals): number {
  return ({ SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal] ?? 0;
}

export const isRunning = (s: Service) => s.child.exitCode === null && s.child.signalCode === null;

/** SIGTERM (graceful), then SIGKILL after `graceMs` if it is still running. */
export async function stopService(s: Service, graceMs: number): Promise<number> {
  if (isRunning(s)) s.child.kill("SIGTERM");
  const timer = setTimeout(() => {
    if (isRunning(s)) s.child.kill("SIGKILL");
  }, graceMs);
  const code = await s.exited;
  clearTimeout(timer);
  return code;
}
