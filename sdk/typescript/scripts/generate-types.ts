// Generates src/generated/api-types.ts: the input and output type of every procedure the SDK calls, expanded
// from the router's type (`AppRouter` of @btick/contract) into plain, self-contained declarations. The published
// package therefore carries the contract's wire types without depending on any unpublished workspace package.
//
//   pnpm --filter @btick/sdk generate        (also part of `build`; a test fails when the file is stale)
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import ts from "typescript";

export const PROCEDURES = [
  ["jobs", "create"],
  ["jobs", "list"],
  ["jobs", "get"],
  ["jobs", "update"],
  ["jobs", "delete"],
  ["jobs", "pause"],
  ["jobs", "resume"],
  ["jobs", "trigger"],
  ["runs", "list"],
  ["runs", "get"],
  ["apiKeys", "create"],
  ["apiKeys", "list"],
  ["apiKeys", "revoke"],
  ["health", "check"],
] as const;

/** Named models, substituted wherever their expansion appears (most specific first). */
const MODELS: [name: string, expr: string, doc: string][] = [
  ["RunAttempt", `RouterOutputs["runs"]["get"]["run"]["attempts"][number]`, "One HTTP attempt of a run."],
  ["RunDetail", `RouterOutputs["runs"]["get"]["run"]`, "A run with its attempts (`runs.get`)."],
  ["Run", `RouterOutputs["runs"]["list"]["runs"][number]`, "One execution of a job (scheduled or manual)."],
  ["Job", `RouterOutputs["jobs"]["get"]["job"]`, "A recurring HTTP job."],
  ["ApiKey", `RouterOutputs["apiKeys"]["list"]["api_keys"][number]`, "An API key (never includes the secret)."],
  ["Scope", `RouterInputs["apiKeys"]["create"]["scopes"][number]`, "A permission an API key can hold."],
];

const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
export const typeName = (ns: string, proc: string, kind: "Input" | "Output") => `${pascal(ns)}${pascal(proc)}${kind}`;

const here = fileURLToPath(new URL(".", import.meta.url));
const root = fileURLToPath(new URL("..", import.meta.url));
export const OUTPUT_FILE = fileURLToPath(new URL("../src/generated/api-types.ts", import.meta.url));

const FLAGS = ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.InTypeAlias | ts.TypeFormatFlags.UseSingleQuotesForStringLiteralType;

/** Returns the generated module's source text. */
export function generateTypes(): string {
  const probe = `${here}__probe__.ts`;
  const lines = [`import type { RouterInputs, RouterOutputs } from "@btick/contract";`];
  for (const [name, expr] of MODELS) lines.push(`export type M_${name} = ${expr};`);
  for (const [ns, proc] of PROCEDURES) {
    lines.push(`export type I_${ns}_${proc} = RouterInputs["${ns}"]["${proc}"];`);
    lines.push(`export type O_${ns}_${proc} = RouterOutputs["${ns}"]["${proc}"];`);
  }
  const source = lines.join("\n");

  const configPath = `${root}tsconfig.json`;
  const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  if (!parsed) throw new Error(`cannot read ${configPath}`);
  const host = ts.createCompilerHost(parsed.options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.fileExists = (f) => f === probe || fileExists(f);
  host.readFile = (f) => (f === probe ? source : readFile(f));
  host.getSourceFile = (f, lang, ...rest) => (f === probe ? ts.createSourceFile(f, source, lang) : getSourceFile(f, lang, ...rest));
  const program = ts.createProgram([probe], parsed.options, host);
  const diagnostics = ts.getPreEmitDiagnostics(program, program.getSourceFile(probe));
  if (diagnostics.length > 0) throw new Error(ts.formatDiagnostics(diagnostics, host));
  const checker = program.getTypeChecker();
  const sf = program.getSourceFile(probe);
  const moduleSymbol = sf && checker.getSymbolAtLocation(sf);
  if (!moduleSymbol) throw new Error("probe module not found");
  const exported = new Map(checker.getExportsOfModule(moduleSymbol).map((s) => [s.name, checker.getDeclaredTypeOfSymbol(s)]));
  const typeOf = (name: string) => {
    const t = exported.get(name);
    if (!t) throw new Error(`missing ${name}`);
    return t;
  };

  // Inputs of procedures with optional input are `void | T | undefined`: keep T, note optionality.
  const print = (t: ts.Type) => checker.typeToString(t, undefined, FLAGS);
  const withoutVoid = (t: ts.Type): { text: string; optional: boolean } => {
    if (!t.isUnion()) return { text: print(t), optional: (t.flags & (ts.TypeFlags.Void | ts.TypeFlags.Undefined)) !== 0 };
    const kept = t.types.filter((m) => (m.flags & (ts.TypeFlags.Void | ts.TypeFlags.Undefined)) === 0);
    return { text: kept.map(print).join(" | "), optional: kept.length !== t.types.length };
  };

  const models = MODELS.map(([name, , doc]) => ({ name, doc, text: print(typeOf(`M_${name}`)) }));
  const substitute = (text: string, except?: string) => {
    let out = text.replace(/\bJSONType\b/g, "JsonValue");
    for (const m of models) {
      if (m.name === except) continue;
      const expansion = m.text.replace(/\bJSONType\b/g, "JsonValue");
      out = out.split(expansion).join(m.name);
    }
    return out;
  };

  const out: string[] = [
    "// GENERATED by scripts/generate-types.ts from the router's type (@btick/contract AppRouter). Do not edit.",
    "// Regenerate with `pnpm --filter @btick/sdk generate`; a test fails when this file is stale.",
    "",
    "/** Any JSON value. */",
    "export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };",
    "",
  ];
  for (const m of models) {
    out.push(`/** ${m.doc} */`, `export type ${m.name} = ${substitute(m.text, m.name)};`, "");
  }
  const optionalInputs: string[] = [];
  for (const [ns, proc] of PROCEDURES) {
    const input = withoutVoid(typeOf(`I_${ns}_${proc}`));
    if (input.optional) optionalInputs.push(`${ns}.${proc}`);
    out.push(`/** Input of \`${ns}.${proc}\`${input.optional ? " (optional)" : ""}. */`);
    out.push(`export type ${typeName(ns, proc, "Input")} = ${input.text === "" ? "void" : substitute(input.text)};`);
    out.push(`/** Output of \`${ns}.${proc}\`. */`);
    out.push(`export type ${typeName(ns, proc, "Output")} = ${substitute(print(typeOf(`O_${ns}_${proc}`)))};`, "");
  }
  out.push(`/** Procedures whose input may be omitted. */`);
  out.push(`export type OptionalInputProcedure = ${optionalInputs.map((p) => `"${p}"`).join(" | ") || "never"};`, "");

  // Pretty-print (multi-line object types) through the TypeScript printer.
  const file = ts.createSourceFile("api-types.ts", out.join("\n"), ts.ScriptTarget.Latest, true);
  const printed = ts.createPrinter({ newLine: ts.NewLineKind.LineFeed }).printFile(file);
  return printed;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(OUTPUT_FILE, generateTypes());
  console.log(`wrote ${OUTPUT_FILE}`);
}
