// The `btick` command tree: user commands (login, jobs, runs, keys) call the API through @btick/sdk; admin
// commands talk to the database.
import { Command, CommanderError } from "commander";

import { registerAdminCommands } from "./commands/admin.ts";
import { registerApiCommands } from "./commands/api.ts";
import { CliError, describeError } from "./errors.ts";
import type { Io } from "./io.ts";

export function buildProgram(io: Io): Command {
  const program = new Command("btick")
    .description("BTick: recurring HTTP jobs on a schedule")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });
  registerApiCommands(program, io);
  registerAdminCommands(program, io);
  // Subcommands inherit neither exitOverride nor output settings from their parent; apply them to all.
  const apply = (cmd: Command) => {
    for (const sub of cmd.commands) {
      sub.exitOverride().configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });
      apply(sub);
    }
  };
  apply(program);
  return program;
}

/** Runs the CLI with `argv` (as process.argv: node, script, ...args) and returns the exit code. */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode; // commander already printed the message
    if (err instanceof CliError) io.stderr(`error: ${err.message}\n`);
    else io.stderr(`error: ${describeError(err)}\n`);
    return 1;
  }
}
