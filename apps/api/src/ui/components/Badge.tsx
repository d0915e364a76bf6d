// Small status pill: <Badge tone="green">Active</Badge>. Pass strings as `text` (escaped) or children that are
// already-safe JSX.
import type { PropsWithChildren } from "@kitajs/html";

export type BadgeTone = "green" | "gray" | "red" | "yellow" | "blue";

const TONES: Record<BadgeTone, string> = {
  green: "bg-green-50 text-green-800 ring-green-600/30",
  gray: "bg-slate-100 text-slate-700 ring-slate-500/30",
  red: "bg-red-50 text-red-800 ring-red-600/30",
  yellow: "bg-amber-50 text-amber-800 ring-amber-600/30",
  blue: "bg-sky-50 text-sky-800 ring-sky-600/30",
};

export function Badge({ tone = "gray", text, children }: PropsWithChildren<{ tone?: BadgeTone; text?: string }>): JSX.Element {
  return (
    <span class={`inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium whitespace-nowrap ring-1 ring-inset ${TONES[tone]}`}>
      {text !== undefined ? <span safe>{text}</span> : children}
    </span>
  );
}
