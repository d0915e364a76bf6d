// Jobs and runs pages (/ui/jobs…, /ui/runs/…). Registered by plugins/ui.ts inside the /ui context: paths here are
// relative to /ui ("/jobs" serves /ui/jobs) and already behind the sign-in guard. Every read and write goes
// through the API's procedures as the signed-in user (uiCaller), so a missing or foreign id is the API's
// NOT_FOUND, rendered as the 404 page by the UI error handler.
import { randomBytes } from "node:crypto";

import type { PropsWithChildren } from "@kitajs/html";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

import type { RunStatus } from "@btick/contract";

import {
  FORM_ERROR_KEY,
  formErrors,
  isHtmx,
  isNotFound,
  safeUiPath,
  secretHeaderRules,
  setFlash,
  setReveal,
  takeReveal,
  uiCaller,
  type UiCaller,
} from "../../context.ts";
import { FlashArea, Layout } from "../../layout.tsx";
import type { UiState } from "../../../plugins/session.ts";
import { DeleteConfirm, GoneRunsPanel, JobDetail, LiveJobParts, RunsPanel } from "./detail.tsx";
import { JobForm, HeaderRow, SchedulePreviewBox, type SchedulePreview } from "./form.tsx";
import { timeZoneNames } from "./format.ts";
import {
  fieldErrorsFrom,
  mergeErrors,
  NEW_JOB_DEFAULTS,
  readJobForm,
  toJobInput,
  VALIDATE_ONLY_FIELD,
  valuesFromJob,
  type FieldErrors,
  type JobFormValues,
} from "./formData.ts";
import { JobRow, JobsPage, JobsTable, listUrl, parseListQuery, type Job, type JobRowData, type JobsListQuery, type Run } from "./list.tsx";
import { LOCAL_TIME_JS, LOCAL_TIME_PATH } from "./localTime.ts";
import { GoneRunPage, JobRunsPage, RunPage, type RunDetail } from "./runs.tsx";

export const JOBS_PAGE_SIZE = 20;
export const RUNS_PAGE_SIZE = 50;
/** Polls of the runs panel after "Run now" (2 s apart) while waiting for a worker to pick the trigger up. */
export const WATCH_POLLS = 15;

const TIME_ZONES = timeZoneNames();

type Params = { jobId: string };
type RunParams = { runId: string };

function one(v: unknown): string {
  if (typeof v === "string") return v;
  if (Array.isArray(v) && typeof v[0] === "string") return v[0];
  return "";
}

function query(request: FastifyRequest): Record<string, unknown> {
  return (request.query ?? {}) as Record<string, unknown>;
}

function body(request: FastifyRequest): Record<string, unknown> {
  const b = request.body;
  return b && typeof b === "object" ? (b as Record<string, unknown>) : {};
}

/** Full page: the shared layout plus the script that shows <time data-local-time> in the browser's timezone. */
function Page(props: PropsWithChildren<{ ui: UiState; title: string }>): JSX.Element {
  return (
    <Layout ui={props.ui} title={props.title} nav="jobs">
      {props.children}
      <script src={LOCAL_TIME_PATH} defer></script>
    </Layout>
  );
}

/** Only same-site UI paths are acceptable redirect targets. */
function returnTo(request: FastifyRequest, fallback: string): string {
  return safeUiPath(one(body(request).return_to), fallback);
}

async function lastRunOf(api: UiCaller, jobId: string): Promise<Run | null> {
  const { runs } = await api.runs.list({ jobId, limit: 1 });
  return runs[0] ?? null;
}

async function previewOf(api: UiCaller, cron: string, timezone: string): Promise<SchedulePreview | null> {
  if (cron.trim() === "") return null;
  try {
    return await api.jobs.previewSchedule({ cron_expression: cron.slice(0, 200), timezone: timezone.slice(0, 64) });
  } catch {
    return null;
  }
}

function listQuery(request: FastifyRequest): JobsListQuery {
  const q = query(request);
  return parseListQuery((name) => one(q[name]));
}

/** The list a row action came from (its return_to), or the unfiltered list. */
function returnList(request: FastifyRequest): { url: string; query: JobsListQuery } | null {
  const target = returnTo(request, "/ui/jobs");
  const url = new URL(target, "http://ui.invalid");
  if (url.pathname !== "/ui/jobs") return null;
  const query = parseListQuery((name) => url.searchParams.get(name) ?? "");
  return { url: listUrl(query), query };
}

/** One page of the jobs list with each job's last run. */
async function listPage(api: UiCaller, q: JobsListQuery): Promise<{ rows: JobRowData[]; nextCursor: string | null }> {
  const page = await api.jobs.list({
    limit: JOBS_PAGE_SIZE,
    cursor: q.cursor ?? undefined,
    q: q.q || undefined,
    enabled: q.status === "all" ? undefined : q.status === "active",
  });
  const rows = await Promise.all(page.jobs.map(async (job) => ({ job, lastRun: await lastRunOf(api, job.id) })));
  return { rows, nextCursor: page.next_cursor };
}

async function renderForm(
  request: FastifyRequest,
  reply: FastifyReply,
  api: UiCaller,
  opts: { mode: "create" | "edit"; jobId?: string; values: JobFormValues; errors: FieldErrors; formError?: string | null; status?: number },
): Promise<void> {
  const preview = await previewOf(api, opts.values.cron_expression, opts.values.timezone);
  return reply.status(opts.status ?? 200).html(
    <Page ui={request.ui} title={opts.mode === "create" ? "New job" : "Edit job"}>
      <JobForm
        mode={opts.mode}
        jobId={opts.jobId}
        values={opts.values}
        errors={opts.errors}
        formError={opts.formError ?? null}
        preview={preview}
        timeZones={TIME_ZONES}
        csrfToken={request.ui.csrfToken}
        secretHeaders={secretHeaderRules(request)}
      />
    </Page>,
  );
}

/**
 * Saves the form through the API. Problems only the form can see (bad JSON body, nameless header) are merged with
 * the API's own validation: the API is then called with an extra unknown field, so it validates everything and is
 * certain to reject the input without saving anything.
 */
async function saveJob(
  values: JobFormValues,
  save: (input: Record<string, unknown>) => Promise<Job>,
): Promise<{ job: Job } | { errors: FieldErrors; formError: string | null }> {
  const { input, localErrors } = toJobInput(values);
  const hasLocal = Object.keys(localErrors).length > 0;
  try {
    const job = await save(hasLocal ? { ...input, [VALIDATE_ONLY_FIELD]: true } : input);
    return { job };
  } catch (err) {
    const apiErrors = fieldErrorsFrom(err);
    if (apiErrors === null) throw err;
    const errors = mergeErrors(localErrors, apiErrors);
    if (Object.keys(errors).length === 0) return { errors, formError: "The job could not be saved." };
    return { errors, formError: null };
  }
}

async function rowFor(request: FastifyRequest, api: UiCaller, job: Job, note?: string): Promise<JSX.Element> {
  const data: JobRowData = { job, lastRun: await lastRunOf(api, job.id), note };
  return <JobRow {...data} csrfToken={request.ui.csrfToken} listUrl={returnList(request)?.url ?? "/ui/jobs"} />;
}

export async function jobsPages(app: FastifyInstance): Promise<void> {
  app.get(`/jobs/${LOCAL_TIME_PATH.split("/").pop() ?? "local-time.js"}`, async (_request, reply) =>
    reply.type("text/javascript; charset=utf-8").header("cache-control", "public, max-age=3600").send(LOCAL_TIME_JS),
  );

  app.get("/jobs", async (request, reply) => {
    const api = await uiCaller(request);
    const q = listQuery(request);
    const { rows, nextCursor } = await listPage(api, q);
    // The search form's htmx request: the history gets the canonical URL of what is shown (no empty parameters).
    if (isHtmx(request) && request.headers["hx-history-restore-request"] !== "true") void reply.header("hx-push-url", listUrl(q));
    return reply.html(
      <Page ui={request.ui} title="Jobs">
        <JobsPage rows={rows} query={q} nextCursor={nextCursor} csrfToken={request.ui.csrfToken} now={new Date()} />
      </Page>,
    );
  });

  app.get("/jobs/new", async (request, reply) => {
    const api = await uiCaller(request);
    return renderForm(request, reply, api, { mode: "create", values: NEW_JOB_DEFAULTS, errors: {} });
  });

  app.post("/jobs", async (request, reply) => {
    const api = await uiCaller(request);
    const values = readJobForm(request.body);
    let signingSecret = "";
    const result = await saveJob(values, async (input) => {
      const created = await api.jobs.create(input as Parameters<UiCaller["jobs"]["create"]>[0]);
      signingSecret = created.signing_secret;
      return created.job;
    });
    if ("errors" in result) return renderForm(request, reply, api, { mode: "create", values, ...result, status: 422 });
    // The secret is returned only by this call: the job page shows it once (Post/Redirect/Get via the session).
    await setReveal(request, { kind: "signing_secret", jobId: result.job.id, secret: signingSecret, rotated: false, previousExpiresAt: null });
    setFlash(request, reply, { kind: "success", message: `Job “${result.job.name}” created.` });
    return reply.redirect(`/ui/jobs/${result.job.id}`, 303);
  });

  app.post<{ Params: Params }>("/jobs/:jobId/rotate-signing-secret", async (request, reply) => {
    const api = await uiCaller(request);
    const { job, signing_secret } = await api.jobs.rotateSigningSecret({ jobId: request.params.jobId });
    await setReveal(request, {
      kind: "signing_secret",
      jobId: job.id,
      secret: signing_secret,
      rotated: true,
      previousExpiresAt: job.signing_secret_previous_expires_at,
    });
    // htmx (the confirmation dialog) gets a full-page navigation to the job page, which shows the new secret once.
    if (isHtmx(request)) return reply.header("hx-redirect", `/ui/jobs/${job.id}`).send("");
    return reply.redirect(`/ui/jobs/${job.id}`, 303);
  });

  app.get("/jobs/header-row", async (_request, reply) =>
    reply.html(<HeaderRow rowKey={`n${randomBytes(4).toString("hex")}`} name="" value="" errors={[]} />),
  );

  app.get("/jobs/schedule-preview", async (request, reply) => {
    const api = await uiCaller(request);
    const q = query(request);
    const preview = await previewOf(api, one(q.cron_expression), one(q.timezone));
    return reply.html(<SchedulePreviewBox preview={preview} />);
  });

  app.get<{ Params: Params }>("/jobs/:jobId", async (request, reply) => {
    const api = await uiCaller(request);
    const { job } = await api.jobs.get({ jobId: request.params.jobId });
    const [{ runs }, preview] = await Promise.all([api.runs.list({ jobId: job.id, limit: 40 }), previewOf(api, job.cron_expression, job.timezone)]);
    const watch = Math.min(WATCH_POLLS, Math.max(0, Number.parseInt(one(query(request).watch), 10) || 0));
    const secret = await takeReveal(request, "signing_secret", (r) => r.jobId === job.id);
    return reply.html(
      <Page ui={request.ui} title={job.name}>
        <JobDetail
          job={job}
          runs={runs}
          lastRun={runs[0] ?? null}
          preview={preview}
          now={new Date()}
          watch={watch}
          csrfToken={request.ui.csrfToken}
          isSecretHeader={secretHeaderRules(request).isSecret}
          signingSecret={secret}
        />
      </Page>,
    );
  });

  // Polled by the job page: the runs panel, plus the page's other live parts as out-of-band swaps. Once the job is
  // gone the panel says so and stops polling (an error answer would leave the poll running).
  app.get<{ Params: Params }>("/jobs/:jobId/runs-panel", async (request, reply) => {
    const api = await uiCaller(request);
    let job: Job;
    let runs: Run[];
    try {
      job = (await api.jobs.get({ jobId: request.params.jobId })).job;
      runs = (await api.runs.list({ jobId: job.id, limit: 40 })).runs;
    } catch (err) {
      if (isNotFound(err)) return reply.html(<GoneRunsPanel />);
      throw err;
    }
    const watch = Math.min(WATCH_POLLS, Math.max(0, Number.parseInt(one(query(request).watch), 10) || 0));
    const now = new Date();
    return reply.html(
      <>
        <RunsPanel job={job} runs={runs} now={now} watch={watch} />
        <LiveJobParts job={job} lastRun={runs[0] ?? null} now={now} />
      </>,
    );
  });

  app.get<{ Params: Params }>("/jobs/:jobId/edit", async (request, reply) => {
    const api = await uiCaller(request);
    const { job } = await api.jobs.get({ jobId: request.params.jobId });
    return renderForm(request, reply, api, { mode: "edit", jobId: job.id, values: valuesFromJob(job), errors: {} });
  });

  app.post<{ Params: Params }>("/jobs/:jobId", async (request, reply) => {
    const api = await uiCaller(request);
    const { job: current } = await api.jobs.get({ jobId: request.params.jobId });
    const values = readJobForm(request.body);
    const result = await saveJob(
      values,
      async (input) => (await api.jobs.update({ ...(input as Omit<Parameters<UiCaller["jobs"]["update"]>[0], "jobId">), jobId: current.id })).job,
    );
    if ("errors" in result) return renderForm(request, reply, api, { mode: "edit", jobId: current.id, values, ...result, status: 422 });
    setFlash(request, reply, { kind: "success", message: "Changes saved." });
    return reply.redirect(`/ui/jobs/${current.id}`, 303);
  });

  for (const action of ["pause", "resume", "trigger"] as const) {
    app.post<{ Params: Params }>(`/jobs/:jobId/${action}`, async (request, reply) => {
      const api = await uiCaller(request);
      const jobId = request.params.jobId;
      let job: Job;
      let note: string;
      if (action === "trigger") {
        await api.jobs.trigger({ jobId });
        job = (await api.jobs.get({ jobId })).job;
        note = "Run queued.";
      } else {
        job = (action === "pause" ? await api.jobs.pause({ jobId }) : await api.jobs.resume({ jobId })).job;
        note = action === "pause" ? "Paused." : "Resumed.";
      }
      if (isHtmx(request)) return reply.html(await rowFor(request, api, job, note));
      setFlash(request, reply, { kind: "success", message: action === "trigger" ? "Run queued: a worker picks it up in a moment." : `Job ${action}d.` });
      const target = returnTo(request, `/ui/jobs/${job.id}`);
      return reply.redirect(action === "trigger" && target === `/ui/jobs/${job.id}` ? `${target}?watch=${WATCH_POLLS}` : target, 303);
    });
  }

  app.get<{ Params: Params }>("/jobs/:jobId/delete", async (request, reply) => {
    const api = await uiCaller(request);
    const { job } = await api.jobs.get({ jobId: request.params.jobId });
    return reply.html(
      <Page ui={request.ui} title={`Delete ${job.name}`}>
        <DeleteConfirm job={job} csrfToken={request.ui.csrfToken} />
      </Page>,
    );
  });

  app.post<{ Params: Params }>("/jobs/:jobId/delete", async (request, reply) => {
    const api = await uiCaller(request);
    const jobId = request.params.jobId;
    if (one(body(request).confirm) !== "yes") {
      const { job } = await api.jobs.get({ jobId });
      return reply.html(
        <Page ui={request.ui} title={`Delete ${job.name}`}>
          <DeleteConfirm job={job} csrfToken={request.ui.csrfToken} />
        </Page>,
      );
    }
    const { job } = await api.jobs.get({ jobId });
    await api.jobs.delete({ jobId });
    const notice = { kind: "success" as const, message: `Job “${job.name}” deleted.` };
    const list = returnList(request);
    if (isHtmx(request) && list) {
      // The list's table again (an emptied list shows its empty state), and the notice in the page's flash area.
      const { rows, nextCursor } = await listPage(api, list.query);
      return reply.html(
        <>
          <JobsTable rows={rows} query={list.query} nextCursor={nextCursor} csrfToken={request.ui.csrfToken} now={new Date()} />
          <FlashArea flash={notice} oob />
        </>,
      );
    }
    setFlash(request, reply, notice);
    if (isHtmx(request)) return reply.header("hx-redirect", "/ui/jobs").send("");
    return reply.redirect(list?.url ?? "/ui/jobs", 303);
  });

  app.get<{ Params: Params }>("/jobs/:jobId/runs", async (request, reply) => {
    const api = await uiCaller(request);
    const { job } = await api.jobs.get({ jobId: request.params.jobId });
    const q = query(request);
    const status = one(q.status) || null;
    const cursor = one(q.cursor) || null;
    // The API validates the filter: an unknown status (or a bad cursor) is its validation message, not all runs.
    let page: { runs: Run[]; next_cursor: string | null } = { runs: [], next_cursor: null };
    let error: string | null = null;
    try {
      page = await api.runs.list({
        jobId: job.id,
        limit: RUNS_PAGE_SIZE,
        cursor: cursor ?? undefined,
        status: (status ?? undefined) as RunStatus | undefined,
      });
    } catch (err) {
      error = Object.entries(formErrors(err))
        .map(([field, message]) => (field === FORM_ERROR_KEY ? message : `${field}: ${message}`))
        .join("; ");
    }
    return reply.status(error ? 400 : 200).html(
      <Page ui={request.ui} title={`Runs · ${job.name}`}>
        <JobRunsPage job={job} runs={page.runs} cursor={cursor} nextCursor={page.next_cursor} status={status} now={new Date()} error={error} />
      </Page>,
    );
  });

  app.get<{ Params: RunParams }>("/runs/:runId", async (request, reply) => {
    const api = await uiCaller(request);
    let run: RunDetail;
    let job: Job;
    try {
      run = (await api.runs.get({ runId: request.params.runId })).run;
      job = (await api.jobs.get({ jobId: run.job_id })).job;
    } catch (err) {
      // The page polls itself while the run is in progress: once the run is gone, end the polling with a notice.
      if (isHtmx(request) && isNotFound(err)) return reply.html(<GoneRunPage />);
      throw err;
    }
    return reply.html(
      <Page ui={request.ui} title="Run">
        <RunPage run={run} job={job} now={new Date()} isSecretHeader={secretHeaderRules(request).isSecret} />
      </Page>,
    );
  });
}
