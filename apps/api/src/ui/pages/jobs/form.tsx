// /ui/jobs/new and /ui/jobs/{jobId}/edit: the job form with per-field API validation messages and a live
// schedule preview.
import type { RouterOutputs } from "@btick/contract";

import type { SecretHeaderRules } from "../../context.ts";
import { btn, input, inputError, link } from "./bits.tsx";
import { formatInZone, MASK } from "./format.ts";
import {
  CONCURRENCY_POLICIES,
  errorsFor,
  HTTP_METHODS,
  JOB_FIELD_RANGES,
  JOB_TEXT_LIMITS,
  MISFIRE_POLICIES,
  orphanHeaderErrors,
  SPARE_HEADER_ROWS,
  type FieldErrors,
  type JobFormValues,
} from "./formData.ts";

export type SchedulePreview = RouterOutputs["jobs"]["previewSchedule"];

/** Typing (keyup), pasting or autocompleting (input) and leaving the field (change) refresh the preview. */
const PREVIEW_TRIGGER = "keyup changed delay:300ms, input changed delay:300ms, change";

function FieldMessages(props: { id: string; messages: string[] }): JSX.Element {
  if (props.messages.length === 0) return "";
  return (
    <ul id={props.id} class="mt-1 space-y-0.5 text-sm text-red-700">
      {props.messages.map((m) => (
        <li safe>{m}</li>
      ))}
    </ul>
  );
}

/** Label + control + hint + messages, wired with aria-describedby / aria-invalid. */
function FormField(props: {
  name: string;
  label: string;
  errors: FieldErrors;
  hint?: string;
  control: (a: { id: string; describedBy: string | undefined; invalid: boolean }) => JSX.Element;
}): JSX.Element {
  const id = `f-${props.name}`;
  const messages = errorsFor(props.errors, props.name);
  const describedBy = [props.hint ? `${id}-hint` : null, messages.length > 0 ? `${id}-error` : null].filter(Boolean).join(" ") || undefined;
  return (
    <div>
      <label for={id} class="block text-sm font-medium text-slate-800" safe>
        {props.label}
      </label>
      <div class="mt-1">{props.control({ id, describedBy, invalid: messages.length > 0 })}</div>
      {props.hint ? (
        <p id={`${id}-hint`} class="mt-1 text-xs text-slate-500" safe>
          {props.hint}
        </p>
      ) : (
        ""
      )}
      <FieldMessages id={`${id}-error`} messages={messages} />
    </div>
  );
}

/**
 * One header name/value pair; `rowKey` only keeps element ids unique. `stored`: the value is the mask of a secret
 * header whose real value is stored encrypted (sending *** back keeps it), which the row says.
 */
export function HeaderRow(props: { rowKey: string; name: string; value: string; errors: string[]; stored?: boolean }): JSX.Element {
  const i = props.rowKey;
  const errId = `h-${i}-error`;
  const keptId = `h-${i}-kept`;
  const invalid = props.errors.length > 0;
  return (
    <li class="grid grid-cols-1 gap-2 sm:grid-cols-[minmax(0,2fr)_minmax(0,3fr)]">
      <div>
        <label for={`h-${i}-name`} class="sr-only">
          Header name
        </label>
        <input
          id={`h-${i}-name`}
          name="header_name"
          value={props.name}
          placeholder="Header name, e.g. X-Api-Key"
          class={`${input} font-mono ${invalid ? inputError : ""}`}
          autocomplete="off"
          spellcheck="false"
          aria-invalid={invalid ? "true" : undefined}
          aria-describedby={invalid ? errId : undefined}
        />
      </div>
      <div>
        <label for={`h-${i}-value`} class="sr-only">
          Header value
        </label>
        <input
          id={`h-${i}-value`}
          name="header_value"
          value={props.value}
          placeholder="Value"
          class={`${input} font-mono`}
          autocomplete="off"
          spellcheck="false"
          aria-describedby={props.stored ? keptId : undefined}
        />
      </div>
      {props.stored ? (
        <p id={keptId} class="text-xs text-slate-500 sm:col-span-2">
          The value is stored encrypted and not shown: leave *** to keep the stored value, or type a new value to replace it.
        </p>
      ) : (
        ""
      )}
      {invalid ? (
        <ul id={errId} class="text-sm text-red-700 sm:col-span-2">
          {props.errors.map((m) => (
            <li safe>{`${props.name}: ${m}`}</li>
          ))}
        </ul>
      ) : (
        ""
      )}
    </li>
  );
}

/** The schedule preview box's content (also the htmx partial). */
export function SchedulePreviewBox(props: { preview: SchedulePreview | null }): JSX.Element {
  const p = props.preview;
  if (p === null) return <p class="text-sm text-slate-500">Type a cron expression to see when it fires.</p>;
  if (!p.valid) {
    return (
      <p class="text-sm text-red-700">
        <span class="font-medium">{p.field === "timezone" ? "Timezone" : "Cron expression"}</span>{" "}
        <span safe>{p.message ?? "is invalid"}</span>
      </p>
    );
  }
  return (
    <div class="space-y-1 text-sm">
      <p class="font-medium text-slate-900" safe>
        {p.description ?? p.expression ?? ""}
      </p>
      <p class="text-xs text-slate-500" safe>{`Next 5 runs, in ${p.timezone} (and in your timezone):`}</p>
      <ol class="space-y-0.5 font-mono text-xs text-slate-700">
        {p.next_runs.map((iso) => (
          <li>
            <span safe>{formatInZone(iso, p.timezone)}</span>{" "}
            <span class="text-slate-500">
              (<time datetime={iso} data-local-time safe>{formatInZone(iso, "UTC")}</time>)
            </span>
          </li>
        ))}
      </ol>
    </div>
  );
}

const RETRY = JOB_FIELD_RANGES.retry_max;
const TIMEOUT = JOB_FIELD_RANGES.timeout_seconds;
const CATCH_UP = JOB_FIELD_RANGES.misfire_catch_up_max;
const MAX_RUNS = JOB_FIELD_RANGES.max_runs;

export const CONCURRENCY_LABELS: Record<(typeof CONCURRENCY_POLICIES)[number], string> = {
  forbid: "skip the new slot (recorded as a skipped run)",
  allow: "start the new run alongside",
  replace: "cancel the running run and start the new one",
};

export const MISFIRE_LABELS: Record<(typeof MISFIRE_POLICIES)[number], string> = {
  fire_once: "run once for the oldest missed slot",
  skip: "run none (one skipped run records the gap)",
  catch_up: "run every missed slot, up to the catch-up limit",
};

/** A labelled integer input whose bounds are the API's (JOB_FIELD_RANGES). */
function NumberField(props: { name: keyof typeof JOB_FIELD_RANGES; label: string; value: string; errors: FieldErrors; hint: string }): JSX.Element {
  const range = JOB_FIELD_RANGES[props.name];
  return (
    <FormField
      name={props.name}
      label={props.label}
      errors={props.errors}
      hint={props.hint}
      control={(a) => (
        <input
          id={a.id}
          name={props.name}
          type="number"
          inputmode="numeric"
          min={String(range.min)}
          max={String(range.max)}
          value={props.value}
          class={`${input} ${a.invalid ? inputError : ""}`}
          aria-invalid={a.invalid ? "true" : undefined}
          aria-describedby={a.describedBy}
        />
      )}
    />
  );
}

export interface JobFormProps {
  mode: "create" | "edit";
  jobId?: string;
  values: JobFormValues;
  errors: FieldErrors;
  /** A failure that is not about one field (shown above the form). */
  formError?: string | null;
  preview: SchedulePreview | null;
  timeZones: string[];
  csrfToken: string;
  /** The server's secret-header rule and patterns (secretHeaderRules). */
  secretHeaders: SecretHeaderRules;
}

export function JobForm(props: JobFormProps): JSX.Element {
  const v = props.values;
  const e = props.errors;
  const action = props.mode === "create" ? "/ui/jobs" : `/ui/jobs/${props.jobId ?? ""}`;
  const rows = [...v.headers, ...Array.from({ length: SPARE_HEADER_ROWS }, () => ({ name: "", value: "" }))];
  const headerGroupErrors = [...errorsFor(e, "headers"), ...orphanHeaderErrors(e, v.headers)];
  const errorCount = Object.values(e).reduce((n, m) => n + m.length, 0);
  const previewInputs = "[name=cron_expression],[name=timezone]";
  return (
    <div class="mx-auto max-w-3xl space-y-4">
      <div>
        <a href={props.mode === "create" ? "/ui/jobs" : `/ui/jobs/${props.jobId ?? ""}`} class={`${link} text-sm`}>
          ← {props.mode === "create" ? "Jobs" : "Back to job"}
        </a>
        <h1 class="mt-1 text-2xl font-semibold text-slate-900">{props.mode === "create" ? "New job" : "Edit job"}</h1>
      </div>
      {errorCount > 0 || props.formError ? (
        <div id="form-errors" class="rounded-md bg-red-50 p-3 text-sm text-red-800 ring-1 ring-red-200" role="alert" tabindex="-1">
          {props.formError ? (
            <p safe>{props.formError}</p>
          ) : (
            <p safe>{`The job was not saved: ${errorCount} ${errorCount === 1 ? "problem needs" : "problems need"} fixing below.`}</p>
          )}
        </div>
      ) : (
        ""
      )}
      <form method="post" action={action} class="space-y-6 rounded-lg bg-white p-4 shadow-sm ring-1 ring-slate-200 sm:p-6" novalidate>
        <input type="hidden" name="_csrf" value={props.csrfToken} />
        <FormField
          name="name"
          label="Name"
          errors={e}
          control={(a) => (
            <input
              id={a.id}
              name="name"
              value={v.name}
              required
              maxlength={String(JOB_TEXT_LIMITS.name)}
              class={`${input} ${a.invalid ? inputError : ""}`}
              aria-invalid={a.invalid ? "true" : undefined}
              aria-describedby={a.describedBy}
              autofocus={props.mode === "create" && v.name === "" ? true : undefined}
            />
          )}
        />
        <div class="grid grid-cols-1 gap-4 sm:grid-cols-[8rem_minmax(0,1fr)]">
          <FormField
            name="method"
            label="Method"
            errors={e}
            control={(a) => (
              <select id={a.id} name="method" class={`${input} ${a.invalid ? inputError : ""}`} aria-invalid={a.invalid ? "true" : undefined} aria-describedby={a.describedBy}>
                {HTTP_METHODS.map((m) => (
                  <option value={m} selected={v.method.toUpperCase() === m}>
                    {m}
                  </option>
                ))}
              </select>
            )}
          />
          <FormField
            name="url"
            label="URL"
            errors={e}
            control={(a) => (
              <input
                id={a.id}
                name="url"
                type="url"
                value={v.url}
                required
                maxlength={String(JOB_TEXT_LIMITS.url)}
                placeholder="https://example.com/webhook"
                class={`${input} font-mono ${a.invalid ? inputError : ""}`}
                aria-invalid={a.invalid ? "true" : undefined}
                aria-describedby={a.describedBy}
                spellcheck="false"
              />
            )}
          />
        </div>

        <fieldset aria-describedby="headers-hint">
          <legend class="text-sm font-medium text-slate-800">Headers</legend>
          <p id="headers-hint" class="mt-0.5 text-xs text-slate-500" safe>
            {`Sent with every request. Values of headers named ${props.secretHeaders.patterns.join(", ")} (case-insensitive; * matches any characters) are stored encrypted and shown as ${MASK}.`}
          </p>
          <ul id="header-rows" class="mt-2 space-y-2">
            {rows.map((h, i) => (
              <HeaderRow
                rowKey={String(i)}
                name={h.name}
                value={h.value}
                errors={h.name === "" ? [] : errorsFor(e, `headers.${h.name}`)}
                stored={h.value === MASK && props.secretHeaders.isSecret(h.name)}
              />
            ))}
          </ul>
          <button
            type="button"
            class={`${btn.base} ${btn.secondary} ${btn.small} mt-2`}
            hx-get="/ui/jobs/header-row"
            hx-target="#header-rows"
            hx-swap="beforeend"
          >
            Add header
          </button>
          <FieldMessages id="f-headers-error" messages={headerGroupErrors} />
        </fieldset>

        <FormField
          name="body"
          label="Body (JSON)"
          errors={e}
          hint="Any JSON value, sent with Content-Type: application/json. Leave empty for no body (required for GET and HEAD)."
          control={(a) => (
            <textarea
              id={a.id}
              name="body"
              rows="6"
              class={`${input} font-mono ${a.invalid ? inputError : ""}`}
              aria-invalid={a.invalid ? "true" : undefined}
              aria-describedby={a.describedBy}
              spellcheck="false"
              placeholder='{"hello": "world"}'
              safe
            >
              {v.body}
            </textarea>
          )}
        />

        <div class="grid grid-cols-1 gap-4 sm:grid-cols-2">
          <FormField
            name="cron_expression"
            label="Cron expression"
            errors={e}
            hint="5 fields (minute hour day month weekday), 6 with leading seconds, or @hourly/@daily/…"
            control={(a) => (
              <input
                id={a.id}
                name="cron_expression"
                value={v.cron_expression}
                required
                maxlength={String(JOB_TEXT_LIMITS.cron_expression)}
                class={`${input} font-mono ${a.invalid ? inputError : ""}`}
                aria-invalid={a.invalid ? "true" : undefined}
                aria-describedby={`${a.describedBy ?? ""} schedule-preview`.trim()}
                autocomplete="off"
                spellcheck="false"
                hx-get="/ui/jobs/schedule-preview"
                hx-include={previewInputs}
                hx-trigger={PREVIEW_TRIGGER}
                hx-target="#schedule-preview"
                hx-sync="#schedule-preview:replace"
              />
            )}
          />
          <FormField
            name="timezone"
            label="Timezone"
            errors={e}
            hint="IANA name, e.g. Europe/Berlin"
            control={(a) => (
              <input
                id={a.id}
                name="timezone"
                value={v.timezone}
                list="tz-list"
                maxlength={String(JOB_TEXT_LIMITS.timezone)}
                class={`${input} ${a.invalid ? inputError : ""}`}
                aria-invalid={a.invalid ? "true" : undefined}
                aria-describedby={`${a.describedBy ?? ""} schedule-preview`.trim()}
                autocomplete="off"
                spellcheck="false"
                hx-get="/ui/jobs/schedule-preview"
                hx-include={previewInputs}
                hx-trigger={PREVIEW_TRIGGER}
                hx-target="#schedule-preview"
                hx-sync="#schedule-preview:replace"
              />
            )}
          />
        </div>
        <datalist id="tz-list">
          {props.timeZones.map((z) => (
            <option value={z} />
          ))}
        </datalist>
        <div id="schedule-preview" class="rounded-md bg-slate-50 p-3 ring-1 ring-slate-200" aria-live="polite" aria-label="Schedule preview">
          <SchedulePreviewBox preview={props.preview} />
        </div>

        <div class="grid grid-cols-1 gap-4 sm:grid-cols-2">
          <NumberField
            name="retry_max"
            label="Retries"
            value={v.retry_max}
            errors={e}
            hint={`${RETRY.min}–${RETRY.max} extra attempts after network errors, timeouts, 5xx and 429.`}
          />
          <NumberField name="timeout_seconds" label="Timeout (seconds)" value={v.timeout_seconds} errors={e} hint={`Per attempt, ${TIMEOUT.min}–${TIMEOUT.max}.`} />
        </div>

        <fieldset class="space-y-4">
          <legend class="text-sm font-medium text-slate-800">Scheduling policies</legend>
          <div class="grid grid-cols-1 gap-4">
            <FormField
              name="concurrency_policy"
              label="While the previous run is still running"
              errors={e}
              control={(a) => (
                <select id={a.id} name="concurrency_policy" class={`${input} ${a.invalid ? inputError : ""}`} aria-invalid={a.invalid ? "true" : undefined} aria-describedby={a.describedBy}>
                  {CONCURRENCY_POLICIES.map((p) => (
                    <option value={p} selected={v.concurrency_policy === p} safe>
                      {`${p}: ${CONCURRENCY_LABELS[p]}`}
                    </option>
                  ))}
                </select>
              )}
            />
            <FormField
              name="misfire_policy"
              label="Slots missed while no worker ran"
              errors={e}
              control={(a) => (
                <select id={a.id} name="misfire_policy" class={`${input} ${a.invalid ? inputError : ""}`} aria-invalid={a.invalid ? "true" : undefined} aria-describedby={a.describedBy}>
                  {MISFIRE_POLICIES.map((p) => (
                    <option value={p} selected={v.misfire_policy === p} safe>
                      {`${p}: ${MISFIRE_LABELS[p]}`}
                    </option>
                  ))}
                </select>
              )}
            />
          </div>
          <div class="grid grid-cols-1 gap-4 sm:grid-cols-2">
            <NumberField
              name="misfire_catch_up_max"
              label="Catch-up limit"
              value={v.misfire_catch_up_max}
              errors={e}
              hint={`With catch_up: at most this many missed slots run, ${CATCH_UP.min}–${CATCH_UP.max}.`}
            />
            <NumberField
              name="max_runs"
              label="Runs to keep"
              value={v.max_runs}
              errors={e}
              hint={`Keep at most this many runs of the job, ${MAX_RUNS.min}–${MAX_RUNS.max}; empty: no limit (only the retention period applies).`}
            />
          </div>
        </fieldset>

        <div>
          <div class="flex items-center gap-2">
            <input type="hidden" name="enabled" value="false" />
            <input
              id="f-enabled"
              name="enabled"
              type="checkbox"
              value="true"
              checked={v.enabled}
              class="h-4 w-4 rounded border-slate-300 text-indigo-600 focus:ring-2 focus:ring-indigo-600"
            />
            <label for="f-enabled" class="text-sm font-medium text-slate-800">
              Enabled (runs on schedule)
            </label>
          </div>
          <FieldMessages id="f-enabled-error" messages={errorsFor(e, "enabled")} />
        </div>

        <div class="flex flex-wrap items-center gap-3 border-t border-slate-200 pt-4">
          <button type="submit" class={`${btn.base} ${btn.primary}`}>
            {props.mode === "create" ? "Create job" : "Save changes"}
          </button>
          <a href={props.mode === "create" ? "/ui/jobs" : `/ui/jobs/${props.jobId ?? ""}`} class={`${btn.base} ${btn.secondary}`}>
            Cancel
          </a>
        </div>
      </form>
    </div>
  );
}
