// Per-run log file `<dir>/<run_id>.log`: each line is appended as it happens (a synchronous append of one short
// line, measured cheaper than buffering the run and writing it asynchronously at the end), so the file is there and
// current even when the worker is killed mid-run. No file descriptor is held between lines.
import { appendFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";

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
    try {
      appendFileSync(this.path, `${this.now().toISOString()} ${message}\n`);
    } catch (err) {
      this.failed = true;
      this.onError(err);
    }
  }
}

export async function ensureLogDir(dir: string | null): Promise<void> {
  if (dir !== null) await mkdir(dir, { recursive: true });
}
