// /ui/jobs/{jobId}/runs (paginated runs) and /ui/runs/{runId} (one run with every attempt).
import { RUN_STATUSES, type RouterOutputs } from "@btick/contract";

import { Alert } from "../../components/Alert.tsx";
import { Table } from "../../components/Table.tsx";
import { Badge, Code, Field, HeaderList, Instant, link, Section } from "./bits.tsx";
import { RunsTable } from "./detail.tsx";
import {
  ATTEMPT_OUTCOME_TONE,
  formatBytes,
  formatDuration,
  maskHeaders,
  POLICY_RUN_STATUSES,
  prettyBody,
  prettyJsonValue,
  RUN_STATUS_TONE,
  statusLabel,
} from "./format.ts";
import { HEAD, type Job, type Run } from "./list.tsx";

export type RunDetail = RouterOutputs["runs"]["get"]["run"];

/** Every status the API records; the runs list can be filtered by each. */
export const RUN_STATUS_FILTERS = RUN_STATUSES;

export function JobRunsPage(props: {
  job: Job;
  runs: Run[];
  cursor: string | null;
  nextCursor: string | null;
  status: string | null;
  now: Date;
  /** The API's message when the filter (status, cursor) was refused; no runs are listed then. */
  error?: string | null;
}): JSX.Element {
  const base = `/ui/jobs/${props.job.id}/runs`;
  const withStatus = (extra: Record<string, string>) => {
    const p = new URLSearchParams(extra);
    if (props.status) p.set("status", props.status);
    const s = p.toString();
    return s === "" ? base : `${base}?${s}`;
  };
  return (
    <div class="space-y-4">
      <div>
        <a href={`/ui/jobs/${props.job.id}`} class={`${link} text-sm wrap-anywhere`}>
          ← <span safe>{props.job.name}</span>
        </a>
        <h1 class="mt-1 text-2xl font-semibold text-slate-900">Runs</h1>
      </div>
      <nav aria-label="Filter by status" class="flex flex-wrap gap-2 text-sm">
        {[null, ...RUN_STATUS_FILTERS].map((s) => {
          const href = s === null ? base : `${base}?status=${s}`;
          const current = (props.status ?? null) === s;
          return (
            <a
              href={href}
              class={`rounded-full px-3 py-1 ring-1 ring-inset focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-600 ${current ? "bg-indigo-600 text-white ring-indigo-600" : "bg-white text-slate-700 ring-slate-300 hover:bg-slate-50"}`}
              aria-current={current ? "page" : undefined}
              safe
            >
              {s === null ? "all" : statusLabel(s)}
            </a>
          );
        })}
      </nav>
      {props.error ? (
        <Alert kind="error" message={props.error} />
      ) : (
        <Section title={props.status ? `Runs with status ${statusLabel(props.status)}` : "All runs"} id="runs">
          <RunsTable runs={props.runs} timeZone={props.job.timezone} now={props.now} caption="Runs, newest first" />
          {props.cursor || props.nextCursor ? (
            <nav class="mt-3 flex items-center justify-between text-sm" aria-label="Pagination">
              {props.cursor ? (
                <a href={withStatus({})} class={link}>
                  ← Newest
                </a>
              ) : (
                <span />
              )}
              {props.nextCursor ? (
                <a href={withStatus({ cursor: props.nextCursor })} class={link} rel="next">
                  Older runs →
                </a>
              ) : (
                ""
              )}
            </nav>
          ) : (
            ""
          )}
        </Section>
      )}
    </div>
  );
}

/**
 * The headers the worker adds to each attempt of a run (apps/worker/src/execute.ts, requestHeaders), with the values
 * the run determines; they replace a job header of the same name, except User-Agent and Content-Type, which the
 * job may set itself. The webhook-* headers are sent when the job has a signing secret.
 */
function addedHeaders(r: RunDetail): [string, string, boolean][] {
  return [
    ["Idempotency-Key", r.id, false],
    ["X-BTick-Run-Id", r.id, false],
    ["X-BTick-Job-Id", r.job_id, false],
    ["X-BTick-Scheduled-For", r.scheduled_for, false],
    ["X-BTick-Attempt", `the attempt's number, 1 to ${r.max_attempts}`, false],
    ["webhook-id", r.id, false],
    ["webhook-timestamp", "the attempt's time, in Unix seconds", false],
    ["webhook-signature", "v1,<HMAC-SHA256 with the job's signing secret> (two during a rotation)", false],
    ...(r.request_body === null ? [] : [["Content-Type", "application/json, unless the job sets it", false] as [string, string, boolean]]),
    ["User-Agent", "BTick's worker, unless the job sets it", false],
  ];
}

/** Replaces a polling run page once the run is gone (its job was deleted, or retention removed it). */
export function GoneRunPage(): JSX.Element {
  return (
    <div id="run-page" class="space-y-4" data-polling="false">
      <div class="rounded-md border border-amber-300 bg-amber-50 px-4 py-3 text-sm text-amber-950" role="status">
        This run no longer exists: it was deleted with its job.{" "}
        <a href="/ui/jobs" class={link}>
          Back to jobs
        </a>
      </div>
    </div>
  );
}

export function RunPage(props: { run: RunDetail; job: Job | null; now: Date; isSecretHeader: (name: string) => boolean }): JSX.Element {
  const r = props.run;
  const tz = props.job?.timezone ?? "UTC";
  const requestBody = prettyJsonValue(r.request_body);
  const responseHeaders: [string, string, boolean][] = Object.entries(r.response_headers ?? {}).flatMap(([k, vs]) =>
    vs.map((v): [string, string, boolean] => [k, v, false]),
  );
  const response = r.response_body === null ? null : prettyBody(r.response_body);
  const running = r.status === "running";
  return (
    <div
      id="run-page"
      class="space-y-4"
      hx-get={running ? `/ui/runs/${r.id}` : undefined}
      hx-trigger={running ? "every 2s" : undefined}
      hx-select={running ? "#run-page" : undefined}
      hx-swap={running ? "outerHTML" : undefined}
      data-polling={running ? "true" : "false"}
    >
      <div>
        <a href={`/ui/jobs/${r.job_id}`} class={`${link} text-sm wrap-anywhere`}>
          ← {props.job ? <span safe>{props.job.name}</span> : "Job"}
        </a>
        <div class="mt-1 flex flex-wrap items-center gap-3">
          <h1 class="text-2xl font-semibold text-slate-900">Run</h1>
          <Badge tone={RUN_STATUS_TONE[r.status]} text={statusLabel(r.status)} />
          <span class="font-mono text-xs text-slate-500" safe>{r.id}</span>
        </div>
      </div>
      <Section title="Summary" id="summary">
        <dl>
          <Field label="Trigger">
            <span>{r.trigger_type}</span>
          </Field>
          <Field label="Scheduled for">
            <Instant iso={r.scheduled_for} timeZone={tz} now={props.now} />
          </Field>
          <Field label="Started">
            <Instant iso={r.started_at} timeZone={tz} now={props.now} />
          </Field>
          <Field label="Finished">
            <Instant iso={r.finished_at} timeZone={tz} now={props.now} />
          </Field>
          <Field label="Duration">
            <span safe>{formatDuration(r.duration_ms)}</span>
          </Field>
          <Field label="Attempts">
            <span safe>{`${r.attempt_number} of at most ${r.max_attempts}`}</span>
          </Field>
          <Field label="Worker">
            <span class="font-mono text-xs" safe>
              {r.worker_id ?? "—"}
            </span>
          </Field>
          {r.error_message ? (
            POLICY_RUN_STATUSES.includes(r.status) ? (
              <Field label="Reason">
                <span class="text-slate-700" safe>
                  {r.error_message}
                </span>
              </Field>
            ) : (
              <Field label="Error">
                <span class="text-red-700" safe>
                  {r.error_message}
                </span>
              </Field>
            )
          ) : (
            ""
          )}
        </dl>
      </Section>
      <Section title="Request" id="request">
        <p class="text-xs text-slate-600">
          The job's request as it was when the run started (secret header values masked), and the headers BTick adds to every attempt.
        </p>
        <p class="mt-2 break-all font-mono text-sm">
          <span class="font-semibold" safe>
            {r.request_method}
          </span>{" "}
          <span safe>{r.request_url}</span>
        </p>
        <dl class="mt-2">
          <Field label="Job's headers">
            <HeaderList entries={maskHeaders(r.request_headers, props.isSecretHeader)} />
          </Field>
          <Field label="Added by BTick">
            <HeaderList entries={addedHeaders(r)} />
          </Field>
          <Field label="Body">{requestBody === null ? <span class="text-slate-500">none</span> : <Code text={requestBody} label="Request body" />}</Field>
        </dl>
      </Section>
      <Section title="Attempts" id="attempts">
        {r.attempts.length === 0 ? (
          <p class="text-sm text-slate-500">{running ? "The first attempt is in progress." : "No attempts were recorded."}</p>
        ) : (
          <Table caption="Attempts" framed={false} headClass={HEAD} columns={["#", "Outcome", "Status", "Started", "Duration", "Error"]}>
            {r.attempts.map((a) => (
              <tr class="align-top">
                <td class="px-2 py-2" safe>{String(a.attempt_number)}</td>
                <td class="px-2 py-2">
                  <Badge tone={ATTEMPT_OUTCOME_TONE[a.outcome] ?? "gray"} text={a.outcome.replace("_", " ")} />
                </td>
                <td class="px-2 py-2 font-mono text-xs" safe>{a.response_status_code === null ? "—" : String(a.response_status_code)}</td>
                <td class="px-2 py-2">
                  <Instant iso={a.started_at} timeZone={tz} now={props.now} compact />
                </td>
                <td class="px-2 py-2" safe>{formatDuration(a.duration_ms)}</td>
                <td class="min-w-48 px-2 py-2 text-red-700 wrap-anywhere" safe>
                  {a.error_message ?? ""}
                </td>
              </tr>
            ))}
          </Table>
        )}
      </Section>
      <Section title="Response" id="response">
        {r.response_status_code === null && response === null ? (
          <p class="text-sm text-slate-500">{running ? "Waiting for a response…" : "No response was received."}</p>
        ) : (
          <dl>
            <Field label="Status">
              <span class="font-mono" safe>{r.response_status_code === null ? "—" : String(r.response_status_code)}</span>
            </Field>
            <Field label="Headers">
              <HeaderList entries={responseHeaders} />
            </Field>
            <Field label="Body">
              {response === null ? (
                <span class="text-slate-500">none</span>
              ) : (
                <div class="space-y-1">
                  {r.response_body_truncated ? (
                    <p class="text-xs font-medium text-amber-800">
                      <Badge tone="amber" text="truncated" />{" "}
                      <span safe>{`showing the first part of ${formatBytes(r.response_body_bytes ?? 0)} (${r.response_body_bytes ?? 0} bytes)`}</span>
                    </p>
                  ) : r.response_body_bytes !== null ? (
                    <p class="text-xs text-slate-500" safe>{`${formatBytes(r.response_body_bytes)}${response.json ? ", JSON (pretty-printed)" : ""}`}</p>
                  ) : (
                    ""
                  )}
                  <Code text={response.text} label="Response body" />
                </div>
              )}
            </Field>
          </dl>
        )}
      </Section>
    </div>
  );
}
