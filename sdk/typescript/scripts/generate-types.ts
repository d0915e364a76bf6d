// Generates src/generated/api-types.ts: the input and output type of every procedure the SDK calls, expanded
// from the router's type (`AppRouter` of @btick/contract) into plain, self-contained declarations, plus the
// contract's enums as runtime constants (`RUN_STATUSES`, `HTTP_METHODS`, ...). The published package therefore
// carries the contract's wire types without depending on any unpublished workspace package.
//
// Two deliberate differences from the raw router types, each applied by a rule below that must still match:
// - list inputs take `limit: number` and `enabled: boolean` (the router's types also admit the strings that
//   REST query parameters arrive as), a job's `body` is a `JsonValue` (not `unknown`), and `method` is an
//   `HttpMethod` (the API validates methods on input; its output schema only says `string`).
// - enum unions are named (`RunStatus`, `Scope`, ...) after the constants they come from.
//
//   pnpm --filter @btick/sdk generate        (also part of `build`; a test fails when the file is stale)
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import ts from "typescript";

// The contract's enums. Its package entry does not export its schema modules, so they are read from source;
// each list is checked against the router's types below.
import { SCOPES } from "../../../packages/auth/src/scopes.ts";
import {
  API_KEY_STATES,
  ATTEMPT_OUTCOMES,
  CONCURRENCY_POLICIES,
  HTTP_METHODS,
  MISFIRE_POLICIES,
  RUN_STATUSES,
  TRIGGER_TYPES,
} from "../../../packages/contract/src/schemas/index.ts";
import { ERROR_CODES_BY_STATUS } from "../../../packages/contract/src/errors.ts";

export const PROCEDURES = [
  ["jobs", "create"],
  ["jobs", "list"],
  ["jobs", "get"],
  ["jobs", "update"],
  ["jobs", "delete"],
  ["jobs", "pause"],
  ["jobs", "resume"],
  ["jobs", "trigger"],
  ["jobs", "rotateSigningSecret"],
  ["runs", "list"],
  ["runs", "get"],
  ["apiKeys", "create"],
  ["apiKeys", "list"],
  ["apiKeys", "revoke"],
  ["health", "check"],
] as const;

/** Named models, substituted wherever their expansion appears. */
const MODELS: [name: string, expr: string, doc: string][] = [
  ["RunAttempt", `RouterOutputs["runs"]["get"]["run"]["attempts"][number]`, "One HTTP attempt of a run."],
  ["RunDetail", `RouterOutputs["runs"]["get"]["run"]`, "A run with its attempts (`runs.get`)."],
  ["Run", `RouterOutputs["runs"]["list"]["runs"][number]`, "One execution of a job (scheduled or manual)."],
  ["Job", `RouterOutputs["jobs"]["get"]["job"]`, "A recurring HTTP job."],
  ["ApiKey", `RouterOutputs["apiKeys"]["list"]["api_keys"][number]`, "An API key (never includes the secret)."],
];

/** Enums: constant name, type name, the contract's values, the router type they must equal, doc. */
const ENUMS: [constName: string, typeName: string, values: readonly string[], expr: string | null, doc: string][] = [
  ["HTTP_METHODS", "HttpMethod", HTTP_METHODS, null, "HTTP methods a job can use."],
  ["RUN_STATUSES", "RunStatus", RUN_STATUSES, `RouterOutputs["runs"]["list"]["runs"][number]["status"]`, "Statuses of a run."],
  ["TRIGGER_TYPES", "TriggerType", TRIGGER_TYPES, `RouterOutputs["runs"]["list"]["runs"][number]["trigger_type"]`, "What started a run."],
  [
    "ATTEMPT_OUTCOMES",
    "AttemptOutcome",
    ATTEMPT_OUTCOMES,
    `RouterOutputs["runs"]["get"]["run"]["attempts"][number]["outcome"]`,
    "Outcomes of one HTTP attempt.",
  ],
  [
    "CONCURRENCY_POLICIES",
    "ConcurrencyPolicy",
    CONCURRENCY_POLICIES,
    `RouterOutputs["jobs"]["get"]["job"]["concurrency_policy"]`,
    "What happens when a slot comes due while the previous run is still running.",
  ],
  ["MISFIRE_POLICIES", "MisfirePolicy", MISFIRE_POLICIES, `RouterOutputs["jobs"]["get"]["job"]["misfire_policy"]`, "What happens to slots missed while no worker ran."],
  ["API_KEY_STATES", "ApiKeyState", API_KEY_STATES, `RouterOutputs["apiKeys"]["list"]["api_keys"][number]["state"]`, "States of an API key."],
  ["SCOPES", "Scope", SCOPES, `RouterInputs["apiKeys"]["create"]["scopes"][number]`, "Permissions an API key can hold."],
];

interface Rule {
  pattern: RegExp;
  replacement: string;
  /** Rules for output fields may stop matching once the contract narrows the field itself. */
  optional?: boolean;
}

/** Applied to procedure inputs: the clean types a caller passes (see the header). */
const INPUT_RULES: Rule[] = [
  { pattern: /\blimit\?: string \| number \| undefined;/g, replacement: "limit?: number | undefined;" },
  { pattern: /\benabled\?: boolean \| 'true' \| 'false' \| undefined;/g, replacement: "enabled?: boolean | undefined;" },
  { pattern: /\bbody\?: unknown;/g, replacement: "body?: JsonValue | undefined;" },
  { pattern: /(?<!_)\bmethod: string;/g, replacement: "method: HttpMethodInput;" },
  { pattern: /(?<!_)\bmethod\?: string \| undefined;/g, replacement: "method?: HttpMethodInput | undefined;" },
];

/** Applied to models and outputs. */
const OUTPUT_RULES: Rule[] = [
  { pattern: /(?<!_)\bmethod: string;/g, replacement: "method: HttpMethod;", optional: true },
  { pattern: /\brequest_method: string;/g, replacement: "request_method: HttpMethod;", optional: true },
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
  for (const [constName, , , expr] of ENUMS) if (expr) lines.push(`export type E_${constName} = ${expr};`);
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

  // Every enum must list exactly the router's members; its printed union is then replaced by its name.
  const enumUnions: { name: string; text: string }[] = [];
  for (const [constName, name, values, expr] of ENUMS) {
    if (!expr) continue;
    const t = typeOf(`E_${constName}`);
    const members = (t.isUnion() ? t.types : [t]).map((m) => (m.isStringLiteral() ? m.value : print(m)));
    if ([...members].sort().join() !== [...values].sort().join()) {
      throw new Error(`${constName} (${values.join(", ")}) differs from the router's ${expr} (${members.join(", ")})`);
    }
    enumUnions.push({ name, text: print(t) });
  }
  enumUnions.sort((a, b) => b.text.length - a.text.length);

  const ruleUse = new Map<Rule, number>();
  const applyRules = (text: string, rules: Rule[]) =>
    rules.reduce((out, rule) => {
      const matches = out.match(rule.pattern)?.length ?? 0;
      ruleUse.set(rule, (ruleUse.get(rule) ?? 0) + matches);
      return out.replace(rule.pattern, rule.replacement);
    }, text);

  const models = MODELS.map(([name, , doc]) => ({ name, doc, text: print(typeOf(`M_${name}`)) }));
  const substitute = (text: string, except?: string) => {
    let out = text.replace(/\bJSONType\b/g, "JsonValue");
    // Largest first, so a model containing another (RunDetail holds RunAttempt) is found before it is broken up.
    for (const m of [...models].sort((a, b) => b.text.length - a.text.length)) {
      if (m.name === except) continue;
      const expansion = m.text.replace(/\bJSONType\b/g, "JsonValue");
      out = out.split(expansion).join(m.name);
    }
    for (const e of enumUnions) out = out.split(e.text).join(e.name);
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
  for (const [constName, name, values, , doc] of ENUMS) {
    out.push(`/** ${doc} */`, `export const ${constName} = ${JSON.stringify(values)} as const;`);
    out.push(`export type ${name} = (typeof ${constName})[number];`, "");
  }
  out.push(
    "/** The API's `error_code` for each HTTP status it answers with (every other status: INTERNAL_SERVER_ERROR). */",
    `export const API_ERROR_CODES_BY_STATUS = ${JSON.stringify(ERROR_CODES_BY_STATUS)} as const;`,
    "/** Every `error_code` the API sends. */",
    'export type ApiErrorCode = (typeof API_ERROR_CODES_BY_STATUS)[keyof typeof API_ERROR_CODES_BY_STATUS] | "INTERNAL_SERVER_ERROR";',
    "",
  );
  out.push("/** `method` as an input: the API accepts upper or lower case and stores it upper-case. */");
  out.push("export type HttpMethodInput = HttpMethod | Lowercase<HttpMethod>;", "");
  for (const m of models) {
    out.push(`/** ${m.doc} */`, `export type ${m.name} = ${applyRules(substitute(m.text, m.name), OUTPUT_RULES)};`, "");
  }
  const optionalInputs: string[] = [];
  for (const [ns, proc] of PROCEDURES) {
    const input = withoutVoid(typeOf(`I_${ns}_${proc}`));
    if (input.optional) optionalInputs.push(`${ns}.${proc}`);
    out.push(`/** Input of \`${ns}.${proc}\`${input.optional ? " (optional)" : ""}. */`);
    out.push(`export type ${typeName(ns, proc, "Input")} = ${input.text === "" ? "void" : applyRules(substitute(input.text), INPUT_RULES)};`);
    out.push(`/** Output of \`${ns}.${proc}\`. */`);
    out.push(`export type ${typeName(ns, proc, "Output")} = ${applyRules(substitute(print(typeOf(`O_${ns}_${proc}`))), OUTPUT_RULES)};`, "");
  }
  const unused = [...INPUT_RULES, ...OUTPUT_RULES].filter((r) => !r.optional && !ruleUse.get(r));
  if (unused.length > 0) throw new Error(`rules that no longer match the router's types (review them): ${unused.map((r) => String(r.pattern)).join(", ")}`);
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
