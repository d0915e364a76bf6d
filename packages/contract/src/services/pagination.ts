// Keyset pagination, newest first, on (<timestamp column>, id). The cursor keeps the timestamp in
// microseconds because Postgres stores microseconds and a JS Date only milliseconds.
import { Prisma, type Db } from "@btick/db";

import { encodeCursor, type CursorPosition } from "../schemas/common.ts";

export interface PageQuery {
  /** Table and column names are constants from the services, never user input. */
  table: "jobs" | "job_runs" | "api_keys";
  orderColumn: "created_at" | "started_at";
  conditions: Prisma.Sql[];
  cursor: CursorPosition | undefined;
  limit: number;
}

export interface IdPage {
  ids: string[];
  nextCursor: string | null;
}

/** Returns the ids of one page (in order) and the cursor of the next page. All filtering happens in SQL. */
export async function pageOfIds(db: Db, q: PageQuery): Promise<IdPage> {
  const col = Prisma.raw(q.orderColumn);
  const conds = [...q.conditions];
  if (q.cursor) {
    conds.push(
      Prisma.sql`(${col}, id) < (timestamptz 'epoch' + ${q.cursor.us}::bigint * interval '1 microsecond', ${q.cursor.id}::uuid)`,
    );
  }
  const where = conds.length > 0 ? Prisma.join(conds, " and ") : Prisma.sql`true`;
  const rows = await db.$queryRaw<{ id: string; us: string }[]>`
    select id::text as id, (extract(epoch from ${col}) * 1000000)::bigint::text as us
    from ${Prisma.raw(q.table)}
    where ${where}
    order by ${col} desc, id desc
    limit ${q.limit + 1}`;
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    ids: page.map((r) => r.id),
    nextCursor: rows.length > q.limit && last ? encodeCursor({ us: last.us, id: last.id }) : null,
  };
}

/** Orders `rows` like `ids` (a findMany with `id in (...)` does not keep the order). */
export function inIdOrder<T extends { id: string }>(ids: string[], rows: T[]): T[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.flatMap((id) => {
    const r = byId.get(id);
    return r ? [r] : [];
  });
}

/** Escapes LIKE wildcards so user text matches literally. */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
