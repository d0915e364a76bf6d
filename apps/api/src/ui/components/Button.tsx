// Buttons and button-styled links. Variants: primary (main action), secondary, danger (destructive), ghost.
import type { PropsWithChildren } from "@kitajs/html";

export type ButtonVariant = "primary" | "secondary" | "danger" | "ghost";

const BASE =
  "inline-flex items-center justify-center gap-1.5 rounded-md px-3 py-2 text-sm font-medium transition " +
  "focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:cursor-not-allowed disabled:opacity-50";

const VARIANTS: Record<ButtonVariant, string> = {
  primary: "bg-indigo-600 text-white shadow-sm hover:bg-indigo-500",
  secondary: "bg-white text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 hover:bg-slate-50",
  danger: "bg-red-600 text-white shadow-sm hover:bg-red-500 focus-visible:outline-red-600",
  ghost: "text-slate-700 hover:bg-slate-100",
};

export function buttonClass(variant: ButtonVariant = "secondary", extra = ""): string {
  return `${BASE} ${VARIANTS[variant]} ${extra}`.trim();
}

export type ButtonProps = PropsWithChildren<JSX.HtmlButtonTag & { variant?: ButtonVariant }>;

/** `<Button variant="primary" type="submit">Save</Button>`; any button/hx-* attribute passes through. */
export function Button({ variant, class: extra, type, children, ...rest }: ButtonProps): JSX.Element {
  return (
    <button type={type ?? "button"} class={buttonClass(variant, typeof extra === "string" ? extra : "")} {...rest}>
      {children}
    </button>
  );
}

export type LinkButtonProps = PropsWithChildren<JSX.HtmlAnchorTag & { variant?: ButtonVariant }>;

/** A link that looks like a button (navigation, not an action). */
export function LinkButton({ variant, class: extra, children, ...rest }: LinkButtonProps): JSX.Element {
  return (
    <a class={buttonClass(variant, typeof extra === "string" ? extra : "")} {...rest}>
      {children}
    </a>
  );
}
