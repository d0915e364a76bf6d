// Compares the data model in prisma/schema.prisma (Prisma's DMMF) with a live PostgreSQL database and lists every
// difference in plain words. Used by schema-drift.test.ts to prove that the SQL migrations and the schema agree.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

import { getDMMF } from "@prisma/get-dmmf";
import pg from "pg";

export const schemaPath = fileURLToPath(new URL("../../../prisma/schema.prisma", import.meta.url));

// ---- The parts of Prisma's DMMF this comparison reads --------------------------------------------------------------

export interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: "scalar" | "object" | "enum" | "unsupported";
  isList: boolean;
  isRequired: boolean;
  type: string;
  nativeType?: [string, string[]] | null;
  default?: unknown;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
  relationOnUpdate?: string;
}

export interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
}

export interface DmmfIndex {
  model: string;
  type: "id" | "unique" | "normal" | "fulltext";
  dbName?: string | null;
  algorithm?: string;
  fields: Array<{ name: string; sortOrder?: "asc" | "desc" }>;
}

export interface Datamodel {
  models: DmmfModel[];
  enums: Array<{ name: string; dbName?: string | null }>;
  indexes: DmmfIndex[];
}

/** Parses a Prisma schema (offline: the schema parser is WebAssembly) and returns its data model. */
export async function loadDatamodel(schema?: string): Promise<Datamodel> {
  const datamodel = schema ?? (await readFile(schemaPath, "utf8"));
  const result = (await getDMMF({ datamodel })) as { datamodel?: unknown; reason?: string };
  if (!result.datamodel) throw new Error(`cannot parse the Prisma schema: ${result.reason ?? "unknown error"}`);
  return result.datamodel as Datamodel;
}

// ---- One shape for both sides --------------------------------------------------------------------------------------

export interface ColumnShape {
  /** As PostgreSQL's format_type() prints it: `text`, `uuid`, `timestamp(6) with time zone`, `text[]`. */
  type: string;
  nullable: boolean;
  /** Normalised default expression, or null when the column has none. */
  default: string | null;
}

export interface IndexShape {
  name: string;
  kind: "primary key" | "unique index" | "index";
  /** Column names, with ` DESC` appended for descending keys; `<expression>` for expression keys. */
  columns: string[];
  method: string;
  /** Predicate of a partial index (never produced by Prisma). */
  where: string | null;
}

export interface ForeignKeyShape {
  name: string;
  columns: string[];
  refTable: string;
  refColumns: string[];
  onDelete: string;
  onUpdate: string;
}

export interface TableShape {
  columns: Map<string, ColumnShape>;
  indexes: IndexShape[];
  foreignKeys: ForeignKeyShape[];
}

export type SchemaShape = Map<string, TableShape>;

// ---- What the schema declares --------------------------------------------------------------------------------------

const PG_IDENTIFIER_MAX = 63;

/** Prisma's default constraint/index names: `<table>_<columns>_<suffix>`, the prefix cut to fit 63 bytes. */
function defaultName(table: string, columns: string[], suffix: string): string {
  const prefix = [table, ...columns].join("_");
  return prefix.slice(0, PG_IDENTIFIER_MAX - suffix.length - 1) + "_" + suffix;
}

function expectedType(field: DmmfField, enumDbNames: Map<string, string>): string {
  const [native, args = []] = field.nativeType ?? [];
  const n = args.join(",");
  let base: string;
  if (field.kind === "enum") {
    base = enumDbNames.get(field.type) ?? field.type;
  } else if (field.kind === "unsupported") {
    base = field.type;
  } else if (native) {
    base =
      {
        Text: "text",
        Uuid: "uuid",
        VarChar: n ? `character varying(${n})` : "character varying",
        Char: `character(${n || "1"})`,
        Timestamptz: n ? `timestamp(${n}) with time zone` : "timestamp with time zone",
        Timestamp: n ? `timestamp(${n}) without time zone` : "timestamp without time zone",
        Date: "date",
        Time: n ? `time(${n}) without time zone` : "time without time zone",
        Timetz: n ? `time(${n}) with time zone` : "time with time zone",
        Integer: "integer",
        SmallInt: "smallint",
        BigInt: "bigint",
        Oid: "oid",
        DoublePrecision: "double precision",
        Real: "real",
        Decimal: n ? `numeric(${n})` : "numeric",
        Money: "money",
        Boolean: "boolean",
        Json: "json",
        JsonB: "jsonb",
        ByteA: "bytea",
        Inet: "inet",
        Citext: "citext",
        Xml: "xml",
        Bit: `bit(${n || "1"})`,
        VarBit: n ? `bit varying(${n})` : "bit varying",
      }[native] ?? `<unknown native type ${native}>`;
  } else {
    base =
      {
        String: "text",
        Int: "integer",
        BigInt: "bigint",
        Float: "double precision",
        Decimal: "numeric(65,30)",
        Boolean: "boolean",
        DateTime: "timestamp(3) without time zone",
        Json: "jsonb",
        Bytes: "bytea",
      }[field.type] ?? `<unknown type ${field.type}>`;
  }
  return field.isList ? `${base}[]` : base;
}

function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** The default the migration must have produced for a field, normalised like `normaliseDefault`. */
function expectedDefault(field: DmmfField): string | null {
  const d = field.default;
  if (d === undefined || d === null) return null;
  if (typeof d === "object" && !Array.isArray(d) && "name" in d) {
    const fn = d as { name: string; args: unknown[] };
    switch (fn.name) {
      case "now":
        return "now()";
      case "dbgenerated":
        return fn.args[0] === undefined ? null : normaliseDefault(String(fn.args[0]));
      case "autoincrement":
        return "nextval(…)";
      // uuid(), cuid(), nanoid(), ulid() are filled in by the client: no database default.
      default:
        return null;
    }
  }
  if (Array.isArray(d)) {
    return `ARRAY[${d.map((v) => (typeof v === "string" ? quoteLiteral(v) : String(v))).join(", ")}]`;
  }
  if (typeof d === "string") return quoteLiteral(d);
  return String(d);
}

/** Reduces a column default as PostgreSQL prints it to a comparable form. */
export function normaliseDefault(expr: string): string {
  let s = expr.trim();
  if (/^(CURRENT_TIMESTAMP|now\(\))$/i.test(s)) return "now()";
  if (/^nextval\(/i.test(s)) return "nextval(…)";
  // Drop a trailing cast on a literal: 'UTC'::text, '{}'::jsonb, ARRAY[]::text[], '-1'::integer.
  const cast = /^(.*?)::[a-z_ ]+(\(\d+(,\d+)?\))?(\[\])?$/is.exec(s);
  if (cast?.[1] && (/^'.*'$/s.test(cast[1]) || /^ARRAY\[/i.test(cast[1]))) s = cast[1];
  // Negative numbers come back parenthesised or quoted.
  const num = /^\(?'?(-?\d+(\.\d+)?)'?\)?$/.exec(s);
  if (num?.[1]) return num[1];
  return s;
}

export function expectedShape(datamodel: Datamodel): SchemaShape {
  const shape: SchemaShape = new Map();
  const enumDbNames = new Map(datamodel.enums.map((e) => [e.name, e.dbName ?? e.name]));
  const tableOf = new Map(datamodel.models.map((m) => [m.name, m.dbName ?? m.name]));
  const columnOf = (model: DmmfModel, fieldName: string) => {
    const field = model.fields.find((f) => f.name === fieldName);
    return field?.dbName ?? fieldName;
  };
  const modelByName = new Map(datamodel.models.map((m) => [m.name, m]));

  for (const model of datamodel.models) {
    const table = tableOf.get(model.name) ?? model.name;
    const columns = new Map<string, ColumnShape>();
    const foreignKeys: ForeignKeyShape[] = [];
    for (const field of model.fields) {
      if (field.kind === "object") {
        const from = field.relationFromFields ?? [];
        if (from.length === 0) continue;
        const target = modelByName.get(field.type);
        const fromFields = from.map((f) => model.fields.find((x) => x.name === f));
        const optional = fromFields.some((f) => !f?.isRequired);
        const fkColumns = from.map((f) => columnOf(model, f));
        foreignKeys.push({
          name: defaultName(table, fkColumns, "fkey"),
          columns: fkColumns,
          refTable: tableOf.get(field.type) ?? field.type,
          refColumns: (field.relationToFields ?? []).map((f) => (target ? columnOf(target, f) : f)),
          onDelete: field.relationOnDelete ?? (optional ? "SetNull" : "Restrict"),
          onUpdate: field.relationOnUpdate ?? "Cascade",
        });
        continue;
      }
      columns.set(field.dbName ?? field.name, {
        type: expectedType(field, enumDbNames),
        // Prisma creates list columns without NOT NULL.
        nullable: !field.isRequired || field.isList,
        default: expectedDefault(field),
      });
    }
    shape.set(table, { columns, indexes: [], foreignKeys });
  }

  for (const index of datamodel.indexes) {
    const model = modelByName.get(index.model);
    const table = shape.get(tableOf.get(index.model) ?? index.model);
    if (!model || !table) continue;
    const cols = index.fields.map((f) => columnOf(model, f.name));
    const kind = index.type === "id" ? "primary key" : index.type === "unique" ? "unique index" : "index";
    const suffix = index.type === "id" ? "pkey" : index.type === "unique" ? "key" : "idx";
    table.indexes.push({
      name: index.dbName ?? defaultName(tableOf.get(index.model) ?? index.model, index.type === "id" ? [] : cols, suffix),
      kind,
      columns: index.fields.map((f, i) => (f.sortOrder === "desc" ? `${cols[i]} DESC` : (cols[i] ?? f.name))),
      method: (index.algorithm ?? "BTree").toLowerCase(),
      where: null,
    });
  }
  return shape;
}

// ---- What the database has -----------------------------------------------------------------------------------------

const IGNORED_TABLES = new Set(["_prisma_migrations"]);

const FK_ACTIONS: Record<string, string> = {
  a: "NoAction",
  r: "Restrict",
  c: "Cascade",
  n: "SetNull",
  d: "SetDefault",
};

export async function readDatabaseShape(connectionString: string, schema = "public"): Promise<SchemaShape> {
  const client = new pg.Client({ connectionString, application_name: "btick-schema-diff" });
  await client.connect();
  try {
    const shape: SchemaShape = new Map();
    const tables = await client.query<{ name: string }>(
      `select c.relname as name
         from pg_class as c
         join pg_namespace as n on n.oid = c.relnamespace
        where n.nspname = $1::text and c.relkind in ('r', 'p', 'v', 'm', 'f')`,
      [schema],
    );
    for (const { name } of tables.rows) {
      if (!IGNORED_TABLES.has(name)) shape.set(name, { columns: new Map(), indexes: [], foreignKeys: [] });
    }

    const columns = await client.query<{
      table_name: string;
      column_name: string;
      is_nullable: "YES" | "NO";
      column_default: string | null;
      type: string;
    }>(
      `select cols.table_name, cols.column_name, cols.is_nullable, cols.column_default,
              format_type(attrs.atttypid, attrs.atttypmod) as type
         from information_schema.columns as cols
         join pg_attribute as attrs
           on attrs.attrelid = format('%I.%I', cols.table_schema, cols.table_name)::regclass
          and attrs.attname = cols.column_name
        where cols.table_schema = $1::text
        order by cols.table_name, cols.ordinal_position`,
      [schema],
    );
    for (const row of columns.rows) {
      shape.get(row.table_name)?.columns.set(row.column_name, {
        type: row.type,
        nullable: row.is_nullable === "YES",
        default: row.column_default === null ? null : normaliseDefault(row.column_default),
      });
    }

    const indexes = await client.query<{
      table_name: string;
      name: string;
      is_unique: boolean;
      is_primary: boolean;
      columns: string[];
      descending: boolean[];
      method: string;
      predicate: string | null;
    }>(
      `select tbl.relname as table_name, idx.relname as name, ix.indisunique as is_unique,
              ix.indisprimary as is_primary, am.amname as method,
              pg_get_expr(ix.indpred, ix.indrelid) as predicate,
              array(select coalesce(attrs.attname::text, '<expression>')
                      from unnest(ix.indkey::int2[]) with ordinality as keys(attnum, ord)
                      left join pg_attribute as attrs on attrs.attrelid = tbl.oid and attrs.attnum = keys.attnum
                     order by keys.ord) as columns,
              array(select (opts.opt & 1) = 1
                      from unnest(ix.indoption::int2[]) with ordinality as opts(opt, ord)
                     order by opts.ord) as descending
         from pg_index as ix
         join pg_class as idx on idx.oid = ix.indexrelid
         join pg_class as tbl on tbl.oid = ix.indrelid
         join pg_namespace as n on n.oid = tbl.relnamespace
         join pg_am as am on am.oid = idx.relam
        where n.nspname = $1::text
        order by tbl.relname, idx.relname`,
      [schema],
    );
    for (const row of indexes.rows) {
      shape.get(row.table_name)?.indexes.push({
        name: row.name,
        kind: row.is_primary ? "primary key" : row.is_unique ? "unique index" : "index",
        columns: row.columns.map((c, i) => (row.descending[i] ? `${c} DESC` : c)),
        method: row.method,
        where: row.predicate,
      });
    }

    const fks = await client.query<{
      table_name: string;
      name: string;
      ref_table: string;
      columns: string[];
      ref_columns: string[];
      on_delete: string;
      on_update: string;
    }>(
      `select tbl.relname as table_name, con.conname as name, ref.relname as ref_table,
              con.confdeltype as on_delete, con.confupdtype as on_update,
              array(select attrs.attname::text
                      from unnest(con.conkey) with ordinality as keys(attnum, ord)
                      join pg_attribute as attrs on attrs.attrelid = con.conrelid and attrs.attnum = keys.attnum
                     order by keys.ord) as columns,
              array(select attrs.attname::text
                      from unnest(con.confkey) with ordinality as keys(attnum, ord)
                      join pg_attribute as attrs on attrs.attrelid = con.confrelid and attrs.attnum = keys.attnum
                     order by keys.ord) as ref_columns
         from pg_constraint as con
         join pg_class as tbl on tbl.oid = con.conrelid
         join pg_class as ref on ref.oid = con.confrelid
         join pg_namespace as n on n.oid = tbl.relnamespace
        where n.nspname = $1::text and con.contype = 'f'
        order by tbl.relname, con.conname`,
      [schema],
    );
    for (const row of fks.rows) {
      shape.get(row.table_name)?.foreignKeys.push({
        name: row.name,
        columns: row.columns,
        refTable: row.ref_table,
        refColumns: row.ref_columns,
        onDelete: FK_ACTIONS[row.on_delete] ?? row.on_delete,
        onUpdate: FK_ACTIONS[row.on_update] ?? row.on_update,
      });
    }
    return shape;
  } finally {
    await client.end();
  }
}

// ---- The comparison ------------------------------------------------------------------------------------------------

const show = (value: unknown) => (value === null ? "none" : JSON.stringify(value));
const indexKey = (i: IndexShape) => `${i.kind} ${i.method} (${i.columns.join(", ")})${i.where ? ` where ${i.where}` : ""}`;
const fkKey = (f: ForeignKeyShape) => `(${f.columns.join(", ")}) → ${f.refTable}(${f.refColumns.join(", ")})`;

/** Every way `actual` (the database) differs from `expected` (the schema), one readable line each. */
export function compareShapes(expected: SchemaShape, actual: SchemaShape): string[] {
  const diffs: string[] = [];
  for (const [table, want] of expected) {
    const have = actual.get(table);
    if (!have) {
      diffs.push(`table ${table}: declared in the schema, missing in the database`);
      continue;
    }
    for (const [column, c] of want.columns) {
      const d = have.columns.get(column);
      const where = `column ${table}.${column}`;
      if (!d) {
        diffs.push(`${where}: declared in the schema, missing in the database`);
        continue;
      }
      if (d.type !== c.type) diffs.push(`${where}: type is ${d.type}, schema says ${c.type}`);
      if (d.nullable !== c.nullable) {
        diffs.push(`${where}: is ${d.nullable ? "nullable" : "NOT NULL"}, schema says ${c.nullable ? "nullable" : "NOT NULL"}`);
      }
      if (d.default !== c.default) diffs.push(`${where}: default is ${show(d.default)}, schema says ${show(c.default)}`);
    }
    for (const column of have.columns.keys()) {
      if (!want.columns.has(column)) diffs.push(`column ${table}.${column}: in the database, not declared in the schema`);
    }

    const unmatched = [...have.indexes];
    for (const idx of want.indexes) {
      const at = unmatched.findIndex((i) => indexKey(i) === indexKey(idx));
      if (at === -1) {
        diffs.push(`${table}: ${indexKey(idx)} "${idx.name}" declared in the schema, missing in the database`);
        continue;
      }
      const [found] = unmatched.splice(at, 1);
      if (found && found.name !== idx.name) {
        diffs.push(`${table}: ${indexKey(idx)} is named "${found.name}", schema expects "${idx.name}"`);
      }
    }
    for (const idx of unmatched) {
      diffs.push(`${table}: ${indexKey(idx)} "${idx.name}" in the database, not declared in the schema`);
    }

    const unmatchedFks = [...have.foreignKeys];
    for (const fk of want.foreignKeys) {
      const at = unmatchedFks.findIndex((f) => fkKey(f) === fkKey(fk));
      if (at === -1) {
        diffs.push(`${table}: foreign key ${fkKey(fk)} declared in the schema, missing in the database`);
        continue;
      }
      const [found] = unmatchedFks.splice(at, 1);
      if (!found) continue;
      const where = `${table}: foreign key ${fkKey(fk)}`;
      if (found.onDelete !== fk.onDelete) diffs.push(`${where}: on delete ${found.onDelete}, schema says ${fk.onDelete}`);
      if (found.onUpdate !== fk.onUpdate) diffs.push(`${where}: on update ${found.onUpdate}, schema says ${fk.onUpdate}`);
      if (found.name !== fk.name) diffs.push(`${where}: is named "${found.name}", schema expects "${fk.name}"`);
    }
    for (const fk of unmatchedFks) {
      diffs.push(`${table}: foreign key ${fkKey(fk)} "${fk.name}" in the database, not declared in the schema`);
    }
  }
  for (const table of actual.keys()) {
    if (!expected.has(table)) diffs.push(`table ${table}: in the database, not declared in the schema`);
  }
  return diffs;
}

/** Differences between a schema's data model and the database at `connectionString`; empty when they agree. */
export async function diffSchema(datamodel: Datamodel, connectionString: string): Promise<string[]> {
  return compareShapes(expectedShape(datamodel), await readDatabaseShape(connectionString));
}
