// Watching the embedded PostgreSQL. Its postmaster is not one of our child services (@btick/local-db starts it, or
// another process such as the CLI did), so it is followed by the pid in its postmaster.pid.
import { readFileSync } from "node:fs";

import { readPidFile } from "@btick/local-db";

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Calls `onExit` once when the postmaster serving `dataDir` is gone (checked every `intervalMs`). Returns the pid
 * watched, or null when no postmaster.pid names one.
 */
export function watchPostmaster(dataDir: string, onExit: (pid: number) => void, intervalMs = 500): { pid: number; stop(): void } | null {
  const pid = readPidFile(dataDir)?.pid;
  if (pid === undefined) return null;
  const timer = setInterval(() => {
    if (isAlive(pid)) return;
    clearInterval(timer);
    onExit(pid);
  }, intervalMs);
  timer.unref();
  return { pid, stop: () => clearInterval(timer) };
}

/** The last lines of a log file, or nothing. */
export function tailOf(file: string, lines = 10): string[] {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines);
  } catch {
    return [];
  }
}
