// Per-run log stream: lines are buffered in memory while the run executes and written once, as
// `<dir>/<run_id>.log`, when it finishes (one small write per run instead of one per line).
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

export class RunLog {
  private readonly lines: string[] = [];

  constructor(
    private readonly dir: string | null,
    readonly runId: string,
    /** Timestamps of the lines (the database clock). */
    private readonly now: () => Date,
  ) {}

  line(message: string): void {
    this.lines.push(`${this.now().toISOString()} ${message}`);
  }

  text(): string {
    return this.lines.map((l) => `${l}\n`).join("");
  }

  /** Writes the file; returns its path, or null when logging to files is disabled. */
  async flush(): Promise<string | null> {
    if (this.dir === null) return null;
    const path = join(this.dir, `${this.runId}.log`);
    await writeFile(path, this.text(), { flag: "a" });
    return path;
  }
}

export async function ensureLogDir(dir: string | null): Promise<void> {
  if (dir !== null) await mkdir(dir, { recursive: true });
}
