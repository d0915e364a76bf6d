// /ui/jobs/{jobId}: schedule, configuration (secrets masked), a duration chart and the latest runs, which poll
// while a run is in progress or the next one is imminent.
import { RUN_STATUSES, type RunStatus } from "@btick/contract";

import { Table } from "../../components/Table.tsx";
import type { Reveal } from "../../context.ts";
import { CONCURRENCY_LABELS, MISFIRE_LABELS, type SchedulePreview } from "./form.tsx";
import { Badge, btn, Code, Field, HeaderList, Instant, link, Section } from "./bits.tsx";
import { formatDuration, formatInZone, maskHeaders, POLICY_RUN_STATUSES, prettyJsonValue, RUN_STATUS_TONE, statusLabel } from "./format.ts";
import { HEAD, JobStatusBadges, type Job, type Run } from "./list.tsx";

/** Poll while a run is in progress, or while the next scheduled run is this close. */
export const IMMINENT_MS = 60_000;
export const POLL_INTERVAL = "2s";

/** One color per run status, each explained in the chart's legend. */
const CHART_COLORS: Record<RunStatus, { color: string; meaning: string }> = {
  success: { color: "#059669", meaning: "succeeded" },
  failed: { color: "#dc2626", meaning: "failed after its attempts" },
  blocked_by_policy: { color: "#9f1239", meaning: "target refused by the network policy" },
  lost: { color: "#d97706", meaning: "its worker stopped" },
  cancelled: { color: "#7c3aed", meaning: "replaced by a newer run" },
  skipped: { color: "#94a3b8", meaning: "not executed, by policy" },
  running: { color: "#0284c7", meaning: "in progress" },
};

/** Bars of the latest runs' durations (oldest left), colored by status; runs without a duration are short stubs. */
export function DurationChart(props: { runs: Run[] }): JSX.Element {
  const runs = props.runs.slice(0, 40).reverse();
  if (runs.length === 0) return <p class="text-sm text-slate-500">No runs yet.</p>;
  const width = 600;
  const height = 120;
  const pad = 4;
  const durations = runs.flatMap((r) => (r.duration_ms === null ? [] : [r.duration_ms]));
  const longest = durations.length === 0 ? null : Math.max(...durations);
  const scale = Math.max(1, longest ?? 0);
  const slot = (width - pad * 2) / Math.max(runs.length, 10);
  const barW = Math.max(2, slot * 0.7);
  const counts = runs.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }), {});
  const scaleText = longest === null ? "no finished runs yet" : `longest ${formatDuration(longest)}`;
  const summary = `Durations of the last ${runs.length} runs, ${scaleText}: ${Object.entries(counts)
    .map(([s, n]) => `${n} ${statusLabel(s)}`)
    .join(", ")}.`;
  return (
    <figure>
      <svg viewBox={`0 0 ${width} ${height}`} class="h-32 w-full" role="img" aria-label={summary} preserveAspectRatio="none">
        <line x1="0" y1={String(height - pad)} x2={String(width)} y2={String(height - pad)} stroke="#cbd5e1" stroke-width="1" />
        {runs.map((r, i) => {
          const h = r.duration_ms === null ? 3 : Math.max(3, ((height - pad * 2) * r.duration_ms) / scale);
          const x = pad + i * slot + (slot - barW) / 2;
          return (
            <rect x={x.toFixed(1)} y={(height - pad - h).toFixed(1)} width={barW.toFixed(1)} height={h.toFixed(1)} fill={CHART_COLORS[r.status].color} rx="1">
              <title safe>{`${statusLabel(r.status)} · ${formatDuration(r.duration_ms)} · ${r.started_at}`}</title>
            </rect>
          );
        })}
      </svg>
      <figcaption class="mt-1 space-y-1 text-xs text-slate-600">
        <p safe>{`${scaleText}; runs without a duration (in progress, skipped) are drawn as short stubs.`}</p>
        <ul class="flex flex-wrap gap-x-3 gap-y-1">
          {RUN_STATUSES.map((status) => (
            <li class="inline-flex items-center gap-1">
              <svg width="10" height="10" aria-hidden="true">
                <rect width="10" height="10" fill={CHART_COLORS[status].color} rx="2" />
              </svg>
              <span safe>{`${statusLabel(status)}: ${CHART_COLORS[status].meaning}`}</span>
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}

export function RunsTable(props: { runs: Run[]; timeZone: string; now?: Date; caption: string }): JSX.Element {
  if (props.runs.length === 0) return <p class="text-sm text-slate-500">No runs yet.</p>;
  return (
    <Table caption={props.caption} framed={false} headClass={HEAD} columns={["Started", "Status", "Trigger", "Attempts", "Response", "Duration"]}>
      {props.runs.map((r) => (
        <tr class="align-top" data-run-status={r.status}>
          <td class="px-2 py-2">
            <a href={`/ui/runs/${r.id}`} class={link} aria-label={`Run started ${formatInZone(r.started_at, props.timeZone)}`}>
              <Instant iso={r.started_at} timeZone={props.timeZone} now={props.now} compact />
            </a>
          </td>
          <td class="px-2 py-2">
            <Badge tone={RUN_STATUS_TONE[r.status]} text={statusLabel(r.status)} />
          </td>
          <td class="px-2 py-2 text-slate-700">{r.trigger_type}</td>
          <td class="px-2 py-2 text-slate-700" safe>{`${r.attempt_number}/${r.max_attempts}`}</td>
          <td class="px-2 py-2 font-mono text-xs">
            {r.response_status_code !== null ? (
              String(r.response_status_code)
            ) : r.error_message ? (
              <span class={`wrap-anywhere ${POLICY_RUN_STATUSES.includes(r.status) ? "text-slate-600" : "text-red-700"}`} safe>
                {r.error_message.length > 80 ? `${r.error_message.slice(0, 80)}…` : r.error_message}
              </span>
            ) : (
              "—"
            )}
          </td>
          <td class="px-2 py-2 text-slate-700" safe>{formatDuration(r.duration_ms)}</td>
        </tr>
      ))}
    </Table>
  );
}

/** The job's status badges; `oob`: as an out-of-band swap in a polling response (see LiveJobParts). */
function StatusBadges(props: { job: Job; lastRun: Run | null; oob?: boolean }): JSX.Element {
  return (
    <div id="job-status" class="mt-2" hx-swap-oob={props.oob ? "true" : undefined}>
      <JobStatusBadges job={props.job} lastRun={props.lastRun} />
    </div>
  );
}

/** The Schedule card's next and last run. */
function ScheduleTimes(props: { job: Job; now: Date; oob?: boolean }): JSX.Element {
  const j = props.job;
  return (
    <>
      <Field label="Next run" id="schedule-next" oob={props.oob}>
        {j.next_run_at ? <Instant iso={j.next_run_at} timeZone={j.timezone} now={props.now} /> : <span class="text-slate-500">paused</span>}
      </Field>
      <Field label="Last run" id="schedule-last" oob={props.oob}>
        <Instant iso={j.last_run_at} timeZone={j.timezone} now={props.now} />
      </Field>
    </>
  );
}

/**
 * What else on the job page changes while runs come and go: the status badges and the schedule's next and last
 * run. The runs-panel poll appends these as out-of-band swaps, so one request keeps the whole page current.
 */
export function LiveJobParts(props: { job: Job; lastRun: Run | null; now: Date }): JSX.Element {
  return (
    <>
      <StatusBadges job={props.job} lastRun={props.lastRun} oob />
      <ScheduleTimes job={props.job} now={props.now} oob />
    </>
  );
}

/** Replaces the runs panel (and ends its polling) once the job is gone: deleted, or no longer visible to this user. */
export function GoneRunsPanel(): JSX.Element {
  return (
    <div id="runs-panel" class="space-y-4" data-polling="false">
      <div class="rounded-md border border-amber-300 bg-amber-50 px-4 py-3 text-sm text-amber-950" role="status">
        This job no longer exists: it was deleted, perhaps in another tab.{" "}
        <a href="/ui/jobs" class={link}>
          Back to jobs
        </a>
      </div>
    </div>
  );
}

/** Whether the runs panel should keep polling. */
export function shouldPoll(job: Job, runs: Run[], now: Date, watch: number): boolean {
  if (runs.some((r) => r.status === "running")) return true;
  if (watch > 0) return true;
  return job.next_run_at !== null && new Date(job.next_run_at).getTime() - now.getTime() <= IMMINENT_MS;
}

/**
 * The chart and latest runs. While polling, it replaces itself every 2 s; `watch` counts down extra polls after a
 * manual trigger (the run appears only once a worker picks the trigger up).
 */
export function RunsPanel(props: { job: Job; runs: Run[]; now: Date; watch: number }): JSX.Element {
  const poll = shouldPoll(props.job, props.runs, props.now, props.watch);
  const next = Math.max(0, props.watch - 1);
  return (
    <div
      id="runs-panel"
      class="space-y-4"
      hx-get={poll ? `/ui/jobs/${props.job.id}/runs-panel${next > 0 ? `?watch=${next}` : ""}` : undefined}
      hx-trigger={poll ? `every ${POLL_INTERVAL}` : undefined}
      hx-swap={poll ? "outerHTML" : undefined}
      data-polling={poll ? "true" : "false"}
    >
      <Section title="Run durations" id="duration-chart">
        <DurationChart runs={props.runs} />
      </Section>
      <Section
        title="Latest runs"
        id="latest-runs"
        actions={
          <span class="flex items-center gap-3 text-sm">
            {poll ? (
              <span class="inline-flex items-center gap-1 text-xs text-sky-700">
                <span class="h-2 w-2 animate-pulse rounded-full bg-sky-500" aria-hidden="true" />
                live
              </span>
            ) : (
              ""
            )}
            <a href={`/ui/jobs/${props.job.id}/runs`} class={link}>
              All runs →
            </a>
          </span>
        }
      >
        <div aria-live="polite">
          <RunsTable runs={props.runs.slice(0, 10)} timeZone={props.job.timezone} now={props.now} caption="Latest runs" />
        </div>
      </Section>
    </div>
  );
}

export function JobActions(props: { job: Job; csrfToken: string }): JSX.Element {
  const j = props.job;
  return (
    <div class="flex flex-wrap gap-2">
      <a href={`/ui/jobs/${j.id}/edit`} class={`${btn.base} ${btn.secondary}`}>
        Edit
      </a>
      <form method="post" action={`/ui/jobs/${j.id}/trigger`}>
        <input type="hidden" name="_csrf" value={props.csrfToken} />
        <input type="hidden" name="return_to" value={`/ui/jobs/${j.id}`} />
        <button type="submit" class={`${btn.base} ${btn.secondary}`}>
          Run now
        </button>
      </form>
      <form method="post" action={`/ui/jobs/${j.id}/${j.enabled ? "pause" : "resume"}`}>
        <input type="hidden" name="_csrf" value={props.csrfToken} />
        <input type="hidden" name="return_to" value={`/ui/jobs/${j.id}`} />
        <button type="submit" class={`${btn.base} ${btn.secondary}`}>
          {j.enabled ? "Pause" : "Resume"}
        </button>
      </form>
      <a href={`/ui/jobs/${j.id}/delete`} class={`${btn.base} ${btn.danger}`}>
        Delete
      </a>
    </div>
  );
}

export interface JobDetailProps {
  job: Job;
  runs: Run[];
  lastRun: Run | null;
  preview: SchedulePreview | null;
  now: Date;
  watch: number;
  csrfToken: string;
  /** The server's secret-header rule (secretHeaderRules). */
  isSecretHeader: (name: string) => boolean;
  /** A signing secret to show once (right after the job was created or its secret rotated). */
  signingSecret?: SigningSecretReveal | null;
}

export type SigningSecretReveal = Extract<Reveal, { kind: "signing_secret" }>;

/** The new signing secret, shown once with a copy button. */
export function SigningSecretPanel(props: { reveal: SigningSecretReveal; timeZone: string }): JSX.Element {
  const r = props.reveal;
  return (
    <section class="space-y-3 rounded-lg bg-amber-50 p-4 ring-1 ring-amber-300 sm:p-5" aria-labelledby="signing-secret-heading" id="new-signing-secret">
      <h2 id="signing-secret-heading" class="text-base font-semibold text-amber-950">
        {r.rotated ? "New signing secret" : "Signing secret"}
      </h2>
      <p class="text-sm text-amber-950">
        Copy it now: it is shown only this once. Targets use it to check the <code>webhook-signature</code> header of
        every request (Standard Webhooks).
      </p>
      <div class="flex flex-col gap-2 sm:flex-row">
        <label for="signing-secret" class="sr-only">
          Signing secret
        </label>
        <input
          id="signing-secret"
          type="text"
          readonly
          value={r.secret}
          class="block w-full min-w-0 rounded-md border-0 bg-white px-3 py-2 font-mono text-sm ring-1 ring-amber-300 ring-inset focus:ring-2 focus:ring-indigo-600 focus:outline-none"
        />
        <button type="button" data-copy-target="signing-secret" class={`${btn.base} ${btn.primary}`}>
          Copy
        </button>
      </div>
      {r.rotated ? (
        r.previousExpiresAt ? (
          <p class="text-sm text-amber-950">
            The previous secret stays valid until <Instant iso={r.previousExpiresAt} timeZone={props.timeZone} />: until then every request
            carries a second signature made with it, so targets can switch at their own pace.
          </p>
        ) : (
          <p class="text-sm text-amber-950">Requests are signed with this secret only, from now on.</p>
        )
      ) : (
        ""
      )}
    </section>
  );
}

/** Signing: the rotate button, and until when the previous secret still signs. */
function SigningField(props: { job: Job; csrfToken: string; now: Date }): JSX.Element {
  const j = props.job;
  const previous = j.signing_secret_previous_expires_at;
  const rotating = previous !== null && new Date(previous).getTime() > props.now.getTime();
  return (
    <Field label="Signing">
      <div class="space-y-2">
        <p class="text-slate-700">
          Requests carry <code class="font-mono text-xs">webhook-signature</code> (Standard Webhooks).
          {rotating ? (
            <>
              {" "}
              The previous secret also signs until <Instant iso={previous} timeZone={j.timezone} now={props.now} />.
            </>
          ) : (
            ""
          )}
        </p>
        <form
          method="post"
          action={`/ui/jobs/${j.id}/rotate-signing-secret`}
          hx-post={`/ui/jobs/${j.id}/rotate-signing-secret`}
          hx-confirm="Create a new signing secret? It is shown once. The current secret keeps signing requests for a while (24 hours by default), so targets can switch."
          hx-swap="none"
        >
          <input type="hidden" name="_csrf" value={props.csrfToken} />
          <button type="submit" class={`${btn.base} ${btn.secondary} ${btn.small}`}>
            Rotate signing secret
          </button>
        </form>
      </div>
    </Field>
  );
}

export function JobDetail(props: JobDetailProps): JSX.Element {
  const j = props.job;
  const body = prettyJsonValue(j.body);
  const headers = maskHeaders(j.headers, props.isSecretHeader);
  return (
    <div class="space-y-4">
      <div>
        <a href="/ui/jobs" class={`${link} text-sm`}>
          ← Jobs
        </a>
        <div class="mt-1 flex flex-wrap items-start justify-between gap-3">
          <div class="min-w-0">
            <h1 class="wrap-anywhere text-2xl font-semibold text-slate-900" safe>
              {j.name}
            </h1>
            <p class="mt-1 break-all font-mono text-sm text-slate-600">
              <span class="font-semibold" safe>
                {j.method}
              </span>{" "}
              <span safe>{j.url}</span>
            </p>
            <StatusBadges job={j} lastRun={props.lastRun} />
          </div>
          <JobActions job={j} csrfToken={props.csrfToken} />
        </div>
      </div>
      {props.signingSecret ? <SigningSecretPanel reveal={props.signingSecret} timeZone={j.timezone} /> : ""}
      <div class="grid grid-cols-1 gap-4 lg:grid-cols-2">
        <Section title="Schedule" id="schedule">
          <dl>
            <Field label="Cron">
              <code class="font-mono" safe>
                {j.cron_expression}
              </code>
            </Field>
            <Field label="Means">
              <span safe>{props.preview?.description ?? "—"}</span>
            </Field>
            <Field label="Timezone">
              <span safe>{j.timezone}</span>
            </Field>
            <ScheduleTimes job={j} now={props.now} />
          </dl>
          <details class="mt-2 text-sm">
            <summary class="cursor-pointer text-slate-700">Upcoming fire times</summary>
            <ol class="mt-1 space-y-0.5 font-mono text-xs text-slate-700">
              {j.next_runs.map((iso) => (
                <li>
                  <span safe>{formatInZone(iso, j.timezone)}</span>{" "}
                  <span class="text-slate-500">
                    (<time datetime={iso} data-local-time safe>{formatInZone(iso, "UTC")}</time>)
                  </span>
                </li>
              ))}
            </ol>
          </details>
        </Section>
        <Section title="Configuration" id="configuration">
          <dl>
            <Field label="Retries">
              <span safe>{String(j.retry_max)}</span>
            </Field>
            <Field label="Timeout">
              <span safe>{`${j.timeout_seconds} s`}</span>
            </Field>
            <Field label="While running">
              <code class="font-mono text-xs">{j.concurrency_policy}</code>{" "}
              <span class="text-slate-600" safe>
                {`(${CONCURRENCY_LABELS[j.concurrency_policy]})`}
              </span>
            </Field>
            <Field label="Missed slots">
              <code class="font-mono text-xs">{j.misfire_policy}</code>{" "}
              <span class="text-slate-600" safe>
                {`(${MISFIRE_LABELS[j.misfire_policy]}${j.misfire_policy === "catch_up" ? `, at most ${j.misfire_catch_up_max}` : ""})`}
              </span>
            </Field>
            <Field label="Runs kept">
              <span safe>{j.max_runs === null ? "no limit (retention period only)" : `at most ${j.max_runs}`}</span>
            </Field>
            <Field label="Headers">
              <HeaderList entries={headers} />
            </Field>
            <Field label="Body">{body === null ? <span class="text-slate-500">none</span> : <Code text={body} label="Request body" />}</Field>
            <SigningField job={j} csrfToken={props.csrfToken} now={props.now} />
          </dl>
        </Section>
      </div>
      <RunsPanel job={j} runs={props.runs} now={props.now} watch={props.watch} />
    </div>
  );
}

export function DeleteConfirm(props: { job: Job; csrfToken: string }): JSX.Element {
  return (
    <div class="mx-auto max-w-lg rounded-lg bg-white p-6 shadow-sm ring-1 ring-slate-200">
      <h1 class="text-xl font-semibold text-slate-900">Delete job?</h1>
      <p class="mt-2 text-sm text-slate-700">
        “<span class="font-medium wrap-anywhere" safe>{props.job.name}</span>” and all its runs will be deleted. This cannot be undone.
      </p>
      <form method="post" action={`/ui/jobs/${props.job.id}/delete`} class="mt-4 flex gap-2">
        <input type="hidden" name="_csrf" value={props.csrfToken} />
        <input type="hidden" name="confirm" value="yes" />
        <button type="submit" class={`${btn.base} bg-red-600 text-white hover:bg-red-500`} autofocus>
          Delete job
        </button>
        <a href={`/ui/jobs/${props.job.id}`} class={`${btn.base} ${btn.secondary}`}>
          Cancel
        </a>
      </form>
    </div>
  );
}
