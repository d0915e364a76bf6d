// Cursor pagination (the API's next_cursor): "First page" and "Next page" links that keep the other query params.
//   <Pagination path="/ui/jobs" params={{ enabled: "true" }} cursor={currentCursor} nextCursor={next_cursor} />

function href(path: string, params: Record<string, string | undefined>, cursor: string | null): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "" && k !== "cursor") q.set(k, v);
  if (cursor) q.set("cursor", cursor);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

const LINK =
  "rounded-md px-3 py-1.5 text-sm font-medium text-indigo-700 ring-1 ring-inset ring-slate-300 hover:bg-slate-50 " +
  "focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600";

export function Pagination({
  path,
  params = {},
  cursor,
  nextCursor,
}: {
  path: string;
  params?: Record<string, string | undefined>;
  /** The cursor of the page being shown (null/undefined on the first page). */
  cursor?: string | null | undefined;
  nextCursor: string | null;
}): JSX.Element {
  if (!cursor && !nextCursor) return "";
  return (
    <nav class="mt-4 flex items-center justify-between gap-2" aria-label="Pagination">
      {cursor ? (
        <a class={LINK} href={href(path, params, null)}>
          ← First page
        </a>
      ) : (
        <span />
      )}
      {nextCursor ? (
        <a class={LINK} href={href(path, params, nextCursor)} rel="next">
          Next page →
        </a>
      ) : (
        ""
      )}
    </nav>
  );
}
