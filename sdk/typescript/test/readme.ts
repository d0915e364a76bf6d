// Turns README.md's TypeScript examples into one runnable program, so the examples are executed by the tests
// (in-process against the sources, and from the packed tarball after a strict type-check).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const README = fileURLToPath(new URL("../README.md", import.meta.url));

/** The ```ts blocks of the README, in order. */
export function readmeBlocks(text = readFileSync(README, "utf8")): string[] {
  return [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? "");
}

export interface ProgramValues {
  /** Module specifier replacing "@btick/sdk". */
  importFrom: string;
  baseUrl: string;
  apiKey: string;
  jobId: string;
  runId: string;
  keyId: string;
  /** A job's signing secret and a request signed with it, for the verifyWebhook example. */
  signingSecret: string;
  request: { headers: Record<string, string>; body: string };
}

/**
 * The setup block (first block) with the real base URL and key, the ids the examples refer to, then every other
 * block in its own scope, in README order. Prints "README OK" at the end.
 */
export function readmeProgram(v: ProgramValues, blocks = readmeBlocks()): string {
  const [setup, ...examples] = blocks;
  if (!setup?.includes("new BTick(")) throw new Error("the first ```ts block of the README must be the setup");
  const replaced = setup
    .replace(/from "@btick\/sdk"/, `from ${JSON.stringify(v.importFrom)}`)
    .replace(/baseUrl: "[^"]*"/, `baseUrl: ${JSON.stringify(v.baseUrl)}`)
    .replace(/apiKey: "[^"]*"/, `apiKey: ${JSON.stringify(v.apiKey)}`);
  if (replaced.includes("localhost:8080") || replaced.includes("replace-with-your-key")) throw new Error("setup block not adapted");
  return [
    replaced,
    `const jobId: string = ${JSON.stringify(v.jobId)};`,
    `const runId: string = ${JSON.stringify(v.runId)};`,
    `const keyId: string = ${JSON.stringify(v.keyId)};`,
    `const signingSecret: string = ${JSON.stringify(v.signingSecret)};`,
    `const request: { headers: Record<string, string>; body: string } = ${JSON.stringify(v.request)};`,
    ...examples.map((b, i) => `// README example ${i + 1}\n{\n${b}}\n`),
    `console.log("README OK");`,
    "",
  ].join("\n");
}
