/** An expected failure: printed as `error: <message>` on stderr, exit code 1, no stack trace. */
export class CliError extends Error {
  override name = "CliError";
}

/** A one-line description of any thrown value (pg connection errors can carry an empty message). */
export function describeError(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return describeError(err.errors[0]);
  if (err instanceof Error) return err.message || (err as NodeJS.ErrnoException).code || err.name;
  return String(err);
}
