// Per-run log file `<dir>/<run_id>.log`. Each line reaches its file in the event-loop turn that produced it: lines are
// gathered while the turn runs (a claim launches dozens of runs in one turn) and appended right after it, one append
// per file, so a killed worker leaves every line up to the kill, and no file write delays the requests being sent
// in that turn. No file descriptor is held between writes.
import { appendFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";

interface PendingFile {
  text: string;
  log: RunLog;
}

const pending = new Map<string, PendingFile>();
let scheduled = false;

/** Appends every line gathered so far to its file (also called when the worker stops). */
export function flushRunLogs(): void {
  scheduled = false;
  const files = [...pending.entries()];
  pending.clear();
  for (const [path, file] of files) file.log.append(path, file.text);
}

export class RunLog {
  /** The file, or null when logging to files is disabled. */
  readonly path: string | null;
  private failed = false;

  constructor(
    dir: string | null,
    readonly runId: string,
    /** Timestamps of the lines (the database clock). */
    private readonly now: () => Date,
    /** Told once if a line cannot be written; the run goes on without its file. */
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    this.path = dir === null ? null : join(dir, `${runId}.log`);
  }

  line(message: string): void {
    if (this.path === null || this.failed) return;
    const text = `${this.now().toISOString()} ${message}\n`;
    const file = pending.get(this.path);
    if (file) file.text += text;
    else pending.set(this.path, { text, log: this });
    if (!scheduled) {
      scheduled = true;
      setImmediate(flushRunLogs);
    }
  }

  /** @internal */
  append(path: string, text: string): void {
    if (this.failed) return;
    try {
      appendFileSync(path, text);
    } catch (err) {
      this.failed = true;
      this.onError(err);
    }
  }
}

export async function ensureLogDir(dir: string | null): Promise<void> {
  if (dir !== null) await mkdir(dir, { recursive: true });
}
