// /ui/jobs: the jobs table with filters, cursor pagination and row actions through htmx.
import type { RouterOutputs } from "@btick/contract";

import { Table, type Column } from "../../components/Table.tsx";
import { Badge, btn, Instant, input, link } from "./bits.tsx";
import { FAILED_RUN_STATUSES, formatDuration, RUN_STATUS_TONE, statusLabel } from "./format.ts";

export type Job = RouterOutputs["jobs"]["get"]["job"];
export type Run = RouterOutputs["runs"]["list"]["runs"][number];

export interface JobRowData {
  job: Job;
  lastRun: Run | null;
  /** A short note after an action, e.g. "Run queued". */
  note?: string;
}

export type StatusFilter = "all" | "active" | "paused";

export interface JobsListQuery {
  q: string;
  status: StatusFilter;
  cursor: string | null;
}

/** Reads the list's filters from query parameters (unknown status → all). */
export function parseListQuery(get: (name: string) => string): JobsListQuery {
  const status = get("status");
  return {
    q: get("q").slice(0, 200),
    status: status === "active" || status === "paused" ? status : "all",
    cursor: get("cursor") || null,
  };
}

/** The list's URL for these filters, e.g. /ui/jobs?q=ping (rows post it as return_to). */
export const listUrl = (q: Partial<JobsListQuery>) => `/ui/jobs${listQueryString(q)}`;

export function listQueryString(q: Partial<JobsListQuery>): string {
  const params = new URLSearchParams();
  if (q.q) params.set("q", q.q);
  if (q.status && q.status !== "all") params.set("status", q.status);
  if (q.cursor) params.set("cursor", q.cursor);
  const s = params.toString();
  return s === "" ? "" : `?${s}`;
}

export function JobStatusBadges(props: { job: Job; lastRun: Run | null }): JSX.Element {
  return (
    <span class="flex flex-wrap gap-1">
      {props.job.enabled ? <Badge tone="green" text="active" /> : <Badge tone="gray" text="paused" />}
      {props.lastRun && FAILED_RUN_STATUSES.includes(props.lastRun.status) ? (
        <Badge tone="red" text="last run failed" />
      ) : (
        ""
      )}
    </span>
  );
}

export function LastRun(props: { run: Run | null; timeZone: string }): JSX.Element {
  const r = props.run;
  if (!r) return <span class="text-sm text-slate-400">never run</span>;
  return (
    <a href={`/ui/runs/${r.id}`} class={`${link} inline-flex flex-col gap-0.5 text-sm`}>
      <span class="flex items-center gap-1">
        <Badge tone={RUN_STATUS_TONE[r.status]} text={statusLabel(r.status)} />
        {r.response_status_code !== null ? <span class="font-mono text-xs text-slate-700" safe>{String(r.response_status_code)}</span> : ""}
        <span class="whitespace-nowrap text-xs text-slate-500" safe>{formatDuration(r.duration_ms)}</span>
      </span>
    </a>
  );
}

/**
 * One table row; htmx actions swap it in place, Delete re-renders the whole table (so an emptied list shows its
 * empty state). `listUrl` is the list as shown (filters, page): the actions return to it.
 */
export function JobRow(props: JobRowData & { csrfToken: string; now?: Date; listUrl: string }): JSX.Element {
  const { job, lastRun } = props;
  const rowId = `job-${job.id}`;
  const action = (name: "pause" | "resume" | "trigger") => ({
    "hx-post": `/ui/jobs/${job.id}/${name}`,
    "hx-target": `#${rowId}`,
    "hx-swap": "outerHTML",
  });
  return (
    <tr id={rowId} class="align-top hover:bg-slate-50">
      <td class="px-3 py-3">
        <a href={`/ui/jobs/${job.id}`} class={`${link} font-medium wrap-anywhere`} safe>
          {job.name}
        </a>
        <p class="mt-0.5 max-w-[14rem] truncate font-mono text-xs text-slate-500 md:hidden" safe>
          {`${job.method} ${job.url}`}
        </p>
        <div class="mt-1">
          <JobStatusBadges job={job} lastRun={lastRun} />
        </div>
        {props.note ? (
          <p class="mt-1 text-xs text-indigo-700" role="status" safe>
            {props.note}
          </p>
        ) : (
          ""
        )}
      </td>
      <td class="hidden max-w-xs px-3 py-3 md:table-cell">
        <span class="font-mono text-xs font-semibold text-slate-700" safe>
          {job.method}
        </span>{" "}
        <span class="break-all font-mono text-xs text-slate-600" safe>
          {job.url}
        </span>
      </td>
      <td class="px-3 py-3">
        <code class="whitespace-nowrap font-mono text-xs text-slate-800" safe>
          {job.cron_expression}
        </code>
        <div class="text-xs text-slate-500" safe>
          {job.timezone}
        </div>
      </td>
      <td class="px-3 py-3 text-sm">
        {job.next_run_at ? <Instant iso={job.next_run_at} timeZone={job.timezone} now={props.now} /> : <span class="text-slate-400">paused</span>}
      </td>
      <td class="px-3 py-3">
        <LastRun run={lastRun} timeZone={job.timezone} />
      </td>
      <td class="px-3 py-3">
        <form method="post" action={`/ui/jobs/${job.id}/${job.enabled ? "pause" : "resume"}`} class="flex flex-wrap justify-end gap-1 lg:flex-nowrap">
          <input type="hidden" name="_csrf" value={props.csrfToken} />
          <input type="hidden" name="return_to" value={props.listUrl} />
          {/* Stable ids: htmx puts the keyboard focus back on the control with the same id after the row swap. */}
          {job.enabled ? (
            <button type="submit" id={`${rowId}-toggle`} class={`${btn.base} ${btn.secondary} ${btn.small}`} {...action("pause")} aria-label={`Pause ${job.name}`}>
              Pause
            </button>
          ) : (
            <button type="submit" id={`${rowId}-toggle`} class={`${btn.base} ${btn.secondary} ${btn.small}`} {...action("resume")} aria-label={`Resume ${job.name}`}>
              Resume
            </button>
          )}
          <button
            type="submit"
            id={`${rowId}-trigger`}
            formaction={`/ui/jobs/${job.id}/trigger`}
            class={`${btn.base} ${btn.secondary} ${btn.small}`}
            {...action("trigger")}
            aria-label={`Run ${job.name} now`}
          >
            Run now
          </button>
          <button
            type="submit"
            id={`${rowId}-delete`}
            formaction={`/ui/jobs/${job.id}/delete`}
            class={`${btn.base} ${btn.danger} ${btn.small}`}
            hx-post={`/ui/jobs/${job.id}/delete`}
            hx-vals='{"confirm": "yes"}'
            hx-confirm={`Delete the job “${job.name}” and all its runs? This cannot be undone.`}
            hx-target="#jobs-table"
            hx-swap="outerHTML"
            aria-label={`Delete ${job.name}`}
          >
            Delete
          </button>
        </form>
      </td>
    </tr>
  );
}

/** Header labels of the job and run tables: small, uppercase, on a light band. */
export const HEAD = "bg-slate-50 text-xs uppercase tracking-wide";

const JOB_COLUMNS: Column[] = [
  "Name",
  { label: "Request", class: "hidden md:table-cell" },
  "Schedule",
  "Next run",
  "Last run",
  { label: "Actions", srOnly: true, class: "text-right" },
];

export interface JobsTableProps {
  rows: JobRowData[];
  query: JobsListQuery;
  nextCursor: string | null;
  csrfToken: string;
  now?: Date;
}

/** The table with its pagination; the unit htmx swaps when filters change. */
export function JobsTable(props: JobsTableProps): JSX.Element {
  const filtered = props.query.q !== "" || props.query.status !== "all";
  return (
    <div id="jobs-table" class="overflow-hidden rounded-lg bg-white shadow-sm ring-1 ring-slate-200">
      {props.rows.length === 0 ? (
        <div class="p-8 text-center">
          <p class="text-sm text-slate-600">{filtered ? "No jobs match these filters." : "No jobs yet."}</p>
          {filtered ? (
            ""
          ) : (
            <a href="/ui/jobs/new" class={`${btn.base} ${btn.primary} mt-4`}>
              Create your first job
            </a>
          )}
        </div>
      ) : (
        <Table caption="Jobs" framed={false} headClass={HEAD} columns={JOB_COLUMNS}>
          {props.rows.map((r) => (
            <JobRow {...r} csrfToken={props.csrfToken} now={props.now} listUrl={listUrl(props.query)} />
          ))}
        </Table>
      )}
      {props.query.cursor || props.nextCursor ? (
        <nav class="flex items-center justify-between border-t border-slate-200 px-3 py-2 text-sm" aria-label="Pagination">
          {props.query.cursor ? (
            <a href={`/ui/jobs${listQueryString({ ...props.query, cursor: null })}`} class={link}>
              ← First page
            </a>
          ) : (
            <span />
          )}
          {props.nextCursor ? (
            <a href={`/ui/jobs${listQueryString({ ...props.query, cursor: props.nextCursor })}`} class={link} rel="next">
              Next page →
            </a>
          ) : (
            ""
          )}
        </nav>
      ) : (
        ""
      )}
    </div>
  );
}

/**
 * The list page. The search form updates the table through htmx and pushes the list's URL (with the query) into the
 * history. hx-history="false": htmx keeps no snapshot of this page, whose search box would come back with the value
 * it had when the page loaded; Back loads the list for that URL from the server instead, box and results alike.
 */
export function JobsPage(props: JobsTableProps): JSX.Element {
  return (
    <div class="space-y-4" hx-history="false">
      <div class="flex flex-wrap items-center justify-between gap-3">
        <h1 class="text-2xl font-semibold text-slate-900">Jobs</h1>
        <a href="/ui/jobs/new" class={`${btn.base} ${btn.primary}`}>
          New job
        </a>
      </div>
      <form
        method="get"
        action="/ui/jobs"
        role="search"
        class="flex flex-wrap items-end gap-3"
        hx-get="/ui/jobs"
        hx-target="#jobs-table"
        hx-select="#jobs-table"
        hx-swap="outerHTML"
        hx-push-url="true"
        hx-trigger="input changed delay:300ms from:#job-search, change from:#job-status, submit"
      >
        <div class="min-w-48 flex-1">
          <label for="job-search" class="block text-xs font-medium text-slate-700">
            Search by name
          </label>
          <input id="job-search" name="q" type="search" value={props.query.q} class={`${input} mt-1`} autocomplete="off" maxlength="200" />
        </div>
        <div>
          <label for="job-status" class="block text-xs font-medium text-slate-700">
            Status
          </label>
          <select id="job-status" name="status" class={`${input} mt-1`}>
            <option value="all" selected={props.query.status === "all"}>
              All
            </option>
            <option value="active" selected={props.query.status === "active"}>
              Active
            </option>
            <option value="paused" selected={props.query.status === "paused"}>
              Paused
            </option>
          </select>
        </div>
        <button type="submit" class={`${btn.base} ${btn.secondary}`}>
          Filter
        </button>
      </form>
      <JobsTable {...props} />
    </div>
  );
}
