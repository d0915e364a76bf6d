// Entry point of the `btick` binary (bin/btick.js loads it through tsx).
import { closePrompts, processIo } from "./io.ts";
import { run } from "./program.ts";

process.exitCode = await run(process.argv, processIo);
closePrompts();
