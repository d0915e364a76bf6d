// The SQL migrations and prisma/schema.prisma must describe the same database: every model, field, type,
// nullability, default, unique, index and foreign key. The generated client must come from the same schema.
import { readFile } from "node:fs/promises";

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";

import { Prisma } from "../src/generated/prisma/client.ts";
import { migrate } from "../src/migrate.ts";
import { createEmptyDatabase } from "../src/testing.ts";
import { type Datamodel, diffSchema, loadDatamodel, normaliseDefault, schemaPath } from "./schema-diff.ts";

type EmptyDatabase = Awaited<ReturnType<typeof createEmptyDatabase>>;

async function sql(url: string, statements: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statements);
  } finally {
    await client.end();
  }
}

/** String.replace that fails loudly when the schema no longer contains the text a test edits. */
function edit(source: string, find: string, replacement: string): string {
  if (!source.includes(find)) throw new Error(`schema.prisma no longer contains ${JSON.stringify(find)}: update this test`);
  return source.replace(find, replacement);
}

describe("schema drift", () => {
  const dbs: EmptyDatabase[] = [];
  let datamodel: Datamodel;
  let migrated: EmptyDatabase;

  beforeAll(async () => {
    datamodel = await loadDatamodel();
    migrated = await createEmptyDatabase("btick_drift");
    dbs.push(migrated);
    await migrate(migrated.url);
  });

  afterAll(async () => {
    for (const db of dbs) await db.drop();
  });

  it("the migrated database matches schema.prisma exactly", async () => {
    const diffs = await diffSchema(datamodel, migrated.url);
    expect(diffs, `the migrations and ${schemaPath} disagree:\n  ${diffs.join("\n  ")}`).toEqual([]);
  });

  it("the generated client was generated from this schema (run `pnpm --filter @btick/db generate` if not)", () => {
    const fromSchema = Object.fromEntries(
      datamodel.models.map((m) => [m.name, m.fields.filter((f) => f.kind !== "object").map((f) => f.name)]),
    );
    const namespace = Prisma as unknown as Record<string, Record<string, string> | undefined>;
    const fromClient = Object.fromEntries(
      Object.values(Prisma.ModelName).map((name) => [name, Object.values(namespace[`${name}ScalarFieldEnum`] ?? {})]),
    );
    expect(fromClient).toEqual(fromSchema);
  });

  it("reports a database that drifted from the schema", async () => {
    const db = await createEmptyDatabase("btick_drift");
    dbs.push(db);
    await migrate(db.url);
    await sql(
      db.url,
      `alter table jobs add column extra text;
       alter table jobs drop column last_run_at;
       alter table jobs alter column timezone set default 'Europe/Berlin';
       alter table job_runs alter column worker_id set not null;
       alter table job_runs alter column duration_ms type bigint;
       drop index jobs_next_run_at_idx;
       create index jobs_next_run_at_desc on jobs (next_run_at desc);
       drop index manual_job_triggers_job_id_created_at_idx;
       create index manual_job_triggers_job_id_created_at_idx on manual_job_triggers (job_id, created_at);
       drop index users_email_key;
       create index users_email_key on users (email);
       alter table job_runs drop constraint job_runs_trigger_id_fkey;
       alter table job_runs add constraint job_runs_trigger_id_fkey foreign key (trigger_id)
         references manual_job_triggers (id) on delete cascade on update cascade;
       create table audit_log (id int primary key);`,
    );
    const diffs = await diffSchema(datamodel, db.url);
    expect(diffs.sort()).toEqual(
      [
        "column jobs.extra: in the database, not declared in the schema",
        "column jobs.last_run_at: declared in the schema, missing in the database",
        `column jobs.timezone: default is "'Europe/Berlin'", schema says "'UTC'"`,
        "column job_runs.worker_id: is NOT NULL, schema says nullable",
        "column job_runs.duration_ms: type is bigint, schema says integer",
        `jobs: index btree (next_run_at) "jobs_next_run_at_idx" declared in the schema, missing in the database`,
        `jobs: index btree (next_run_at DESC) "jobs_next_run_at_desc" in the database, not declared in the schema`,
        `manual_job_triggers: index btree (job_id, created_at DESC) "manual_job_triggers_job_id_created_at_idx" declared in the schema, missing in the database`,
        `manual_job_triggers: index btree (job_id, created_at) "manual_job_triggers_job_id_created_at_idx" in the database, not declared in the schema`,
        `users: unique index btree (email) "users_email_key" declared in the schema, missing in the database`,
        `users: index btree (email) "users_email_key" in the database, not declared in the schema`,
        "job_runs: foreign key (trigger_id) → manual_job_triggers(id): on delete Cascade, schema says SetNull",
        "table audit_log: in the database, not declared in the schema",
      ].sort(),
    );
  });

  it("reports a schema that declares more than the migrations create", async () => {
    let edited = await readFile(schemaPath, "utf8");
    edited = edit(edited, "  runs     JobRun[]\n  triggers", "  priority Int @default(5)\n  runs     JobRun[]\n  triggers");
    edited = edit(edited, "@@index([nextRunAt])", "@@index([nextRunAt])\n  @@index([enabled, nextRunAt])");
    edited = edit(edited, '  @@map("tenants")', '  note String?\n\n  @@map("tenants")');
    const diffs = await diffSchema(await loadDatamodel(edited), migrated.url);
    expect(diffs.sort()).toEqual(
      [
        "column jobs.priority: declared in the schema, missing in the database",
        "column tenants.note: declared in the schema, missing in the database",
        `jobs: index btree (enabled, next_run_at) "jobs_enabled_next_run_at_idx" declared in the schema, missing in the database`,
      ].sort(),
    );
  });
});

describe("normaliseDefault", () => {
  it("reduces PostgreSQL's printed defaults to comparable forms", () => {
    expect(normaliseDefault("CURRENT_TIMESTAMP")).toBe("now()");
    expect(normaliseDefault("now()")).toBe("now()");
    expect(normaliseDefault("'UTC'::text")).toBe("'UTC'");
    expect(normaliseDefault("'{}'::jsonb")).toBe("'{}'");
    expect(normaliseDefault("ARRAY[]::text[]")).toBe("ARRAY[]");
    expect(normaliseDefault("'-1'::integer")).toBe("-1");
    expect(normaliseDefault("(-1)")).toBe("-1");
    expect(normaliseDefault("60")).toBe("60");
    expect(normaliseDefault("gen_random_uuid()")).toBe("gen_random_uuid()");
    expect(normaliseDefault("nextval('jobs_id_seq'::regclass)")).toBe("nextval(…)");
  });
});
