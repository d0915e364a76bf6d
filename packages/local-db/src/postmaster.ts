// Finding out whether a postmaster already serves a data directory, from its postmaster.pid.
import { readFileSync, realpathSync, unlinkSync } from "node:fs";
import { join } from "node:path";

export interface PidFile {
  pid: number;
  dataDir: string;
  port: number;
  /** "starting", "ready", "stopping" or "standby" (line 8; PostgreSQL 10+). */
  status: string | null;
}

/** Parses postmaster.pid (see PostgreSQL's miscadmin.h, LOCK_FILE_LINE_*). */
export function parsePidFile(text: string): PidFile | null {
  const lines = text.split("\n");
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port) || port <= 0) return null;
  return { pid, dataDir: lines[1] ?? "", port, status: lines[7]?.trim() || null };
}

export function readPidFile(dataDir: string): PidFile | null {
  try {
    return parsePidFile(readFileSync(join(dataDir, "postmaster.pid"), "utf8"));
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

const real = (p: string) => {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
};

/**
 * True when `pid` is a live postmaster for `dataDir`. After a crash or a reboot the pid in a leftover
 * postmaster.pid may belong to an unrelated process; on Linux we check its command line names the data dir.
 */
export function isPostmasterFor(pid: number, dataDir: string): boolean {
  if (!isAlive(pid)) return false;
  let cmdline: string[];
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return true; // no /proc (macOS): a live pid is the best evidence we have
  }
  const i = cmdline.indexOf("-D");
  const dir = i >= 0 ? cmdline[i + 1] : undefined;
  return dir !== undefined && real(dir) === real(dataDir);
}

/**
 * Returns the running postmaster of `dataDir`, or null. A postmaster.pid whose process is gone (a crash,
 * a killed terminal, a reboot) is removed so that the next start does not trip over it.
 */
export function findRunningPostmaster(dataDir: string): PidFile | null {
  const info = readPidFile(dataDir);
  if (!info) return null;
  if (isPostmasterFor(info.pid, dataDir)) return info;
  try {
    unlinkSync(join(dataDir, "postmaster.pid"));
  } catch {
    // already gone
  }
  return null;
}
