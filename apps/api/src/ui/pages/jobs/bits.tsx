// Small building blocks shared by the job and run pages.
import type { PropsWithChildren } from "@kitajs/html";

import type { Tone } from "./format.ts";
import { formatInZone, relativeTime } from "./format.ts";

const TONES: Record<Tone, string> = {
  green: "bg-emerald-50 text-emerald-800 ring-emerald-600/30",
  red: "bg-red-50 text-red-800 ring-red-600/30",
  amber: "bg-amber-50 text-amber-900 ring-amber-600/30",
  gray: "bg-slate-100 text-slate-700 ring-slate-500/30",
  blue: "bg-sky-50 text-sky-800 ring-sky-600/30",
};

export function Badge(props: { tone: Tone; text: string; title?: string }): JSX.Element {
  return (
    <span
      class={`inline-flex items-center whitespace-nowrap rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${TONES[props.tone]}`}
      title={props.title}
      safe
    >
      {props.text}
    </span>
  );
}

/**
 * An instant shown twice: in the job's timezone (formatted on the server) and in the viewer's browser timezone
 * (the `<time data-local-time>` element is rewritten by the page script; without it, UTC is shown).
 */
export function Instant(props: { iso: string | null; timeZone: string; now?: Date; compact?: boolean }): JSX.Element {
  if (props.iso === null) return <span class="text-slate-400">—</span>;
  const zoned = formatInZone(props.iso, props.timeZone);
  const utc = formatInZone(props.iso, "UTC");
  return (
    <span class="inline-flex flex-col leading-tight">
      <time datetime={props.iso} data-local-time class="whitespace-nowrap" title={`${utc} · ${relativeTime(props.iso, props.now)}`} safe>
        {utc}
      </time>
      <span class="whitespace-nowrap text-xs text-slate-500" safe>
        {props.compact ? zoned : `${zoned} (job)`}
      </span>
    </span>
  );
}

/** Classes for buttons and button-like links. */
export const btn = {
  base: "inline-flex items-center justify-center gap-1 whitespace-nowrap rounded-md px-3 py-1.5 text-sm font-medium shadow-sm focus:outline-none focus-visible:ring-2 focus-visible:ring-offset-2 focus-visible:ring-indigo-600 disabled:opacity-50",
  primary: "bg-indigo-600 text-white hover:bg-indigo-500",
  secondary: "bg-white text-slate-900 ring-1 ring-inset ring-slate-300 hover:bg-slate-50",
  danger: "bg-white text-red-700 ring-1 ring-inset ring-red-300 hover:bg-red-50",
  small: "px-2 py-1 text-xs",
};

export const link = "text-indigo-700 underline-offset-2 hover:underline focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-600 rounded";

export const input =
  "block w-full rounded-md border-0 px-2.5 py-1.5 text-sm text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 placeholder:text-slate-400 focus:ring-2 focus:ring-inset focus:ring-indigo-600";
export const inputError = "ring-red-500";

export function Section(props: PropsWithChildren<{ title: string; id?: string; actions?: JSX.Element }>): JSX.Element {
  const headingId = `${props.id ?? props.title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}-heading`;
  return (
    <section class="rounded-lg bg-white p-4 shadow-sm ring-1 ring-slate-200 sm:p-5" aria-labelledby={headingId} id={props.id}>
      <div class="mb-3 flex flex-wrap items-center justify-between gap-2">
        <h2 id={headingId} class="text-base font-semibold text-slate-900" safe>
          {props.title}
        </h2>
        {props.actions ? props.actions : ""}
      </div>
      {props.children}
    </section>
  );
}

/** `<pre>` for code-like text (bodies, headers); scrolls horizontally on small screens. */
export function Code(props: { text: string; label?: string }): JSX.Element {
  return (
    <pre
      class="max-h-96 overflow-auto whitespace-pre rounded-md bg-slate-900 p-3 text-xs leading-relaxed text-slate-100"
      tabindex="0"
      aria-label={props.label}
      safe
    >
      {props.text}
    </pre>
  );
}

/**
 * A definition list row. With `id` it can be refreshed by a polling response: `oob` renders it as an htmx
 * out-of-band swap (hx-swap-oob) that replaces the row with that id.
 */
export function Field(props: PropsWithChildren<{ label: string; id?: string; oob?: boolean }>): JSX.Element {
  return (
    <div class="py-1.5 sm:grid sm:grid-cols-3 sm:gap-4" id={props.id} hx-swap-oob={props.oob ? "true" : undefined}>
      <dt class="text-sm font-medium text-slate-500" safe>
        {props.label}
      </dt>
      <dd class="mt-0.5 min-w-0 text-sm text-slate-900 wrap-anywhere sm:col-span-2 sm:mt-0">{props.children}</dd>
    </div>
  );
}

/** Header name/value lines; masked values (secret headers, see maskHeaders) are marked as stored encrypted. */
export function HeaderList(props: { entries: [string, string, boolean][] }): JSX.Element {
  if (props.entries.length === 0) return <span class="text-slate-500">none</span>;
  return (
    <ul class="space-y-0.5 font-mono text-xs">
      {props.entries.map(([k, v, masked]) => (
        <li class="break-all">
          <span class="font-semibold" safe>
            {k}
          </span>
          :{" "}
          {masked ? (
            <span class="text-slate-500" title="A secret header: its value is stored encrypted and never shown." safe>
              {v}
            </span>
          ) : (
            <span safe>{v}</span>
          )}
          {masked ? <span class="sr-only"> (secret, stored encrypted)</span> : ""}
        </li>
      ))}
    </ul>
  );
}
