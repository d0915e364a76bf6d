// Notice boxes (flash messages, form-level errors). `message` is escaped.
import type { Flash } from "../../plugins/session.ts";

const KINDS: Record<Flash["kind"], string> = {
  success: "border-green-300 bg-green-50 text-green-900",
  error: "border-red-300 bg-red-50 text-red-900",
  info: "border-sky-300 bg-sky-50 text-sky-900",
};

export function Alert({ kind, message }: Flash): JSX.Element {
  return (
    <div class={`rounded-md border px-4 py-3 text-sm ${KINDS[kind]}`} role={kind === "error" ? "alert" : "status"}>
      <span safe>{message}</span>
    </div>
  );
}
