// A destructive or state-changing action as its own small POST form, with a confirmation dialog.
// With htmx (the normal case) the form posts via hx-post, asks `confirm` first, and swaps the response into
// `target` (default: the closest element with the data-row attribute, replaced by the response). Without
// JavaScript it is a plain form post (no dialog) and the handler should answer with a 303 redirect.
//
//   <ConfirmButton ui={request.ui} action={`/ui/api-keys/${key.id}/revoke`} confirm={`Revoke “${key.name}”?`}
//                  label="Revoke" variant="danger" />
// Handlers can tell both apart with isHtmx(request).
import type { UiState } from "../../plugins/session.ts";
import { Button, type ButtonVariant } from "./Button.tsx";
import { CsrfInput } from "./FormField.tsx";

export interface ConfirmButtonProps {
  ui: UiState;
  action: string;
  label: string;
  /** Question shown in the dialog; omit for actions that need no confirmation. */
  confirm?: string;
  variant?: ButtonVariant;
  /** hx-target (CSS selector or htmx extended selector). Default "closest [data-row]". */
  target?: string;
  /** hx-swap. Default "outerHTML". */
  swap?: string;
  /** Accessible name when the visible label is ambiguous in a table ("Revoke key ci-deploy"). */
  ariaLabel?: string;
  /**
   * The button's id. Keep it stable across the swap (and give the swapped-in row an element with the same id,
   * focusable): htmx then puts the keyboard focus back there instead of losing it to <body>.
   */
  id?: string;
}

export function ConfirmButton({ ui, action, label, confirm, variant, target, swap, ariaLabel, id }: ConfirmButtonProps): JSX.Element {
  return (
    <form
      method="post"
      action={action}
      class="inline"
      hx-post={action}
      hx-confirm={confirm}
      hx-target={target ?? "closest [data-row]"}
      hx-swap={swap ?? "outerHTML"}
    >
      <CsrfInput ui={ui} />
      <Button type="submit" id={id} variant={variant ?? "secondary"} aria-label={ariaLabel} class="px-2.5 py-1.5 text-xs">
        <span safe>{label}</span>
      </Button>
    </form>
  );
}
