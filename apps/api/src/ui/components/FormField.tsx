// Form controls with a label, an optional hint and a per-field error message (from `formErrors(err)[name]`).
// The error is linked to the control with aria-describedby and marks it aria-invalid.
//
//   <FormField label="Name" name="name" value={values.name} error={errors.name} required />
//   <Field label="Body" name="body" error={errors.body} hint="JSON">
//     <TextArea name="body" value={values.body} invalid={!!errors.body} rows={6} />
//   </Field>
//   <Form ui={request.ui} action="/ui/api-keys">…</Form>     (always use Form: it adds the CSRF field)
import type { PropsWithChildren } from "@kitajs/html";

import type { UiState } from "../../plugins/session.ts";
import { CSRF_FIELD } from "../../plugins/session.ts";

export const controlClass = (invalid: boolean) =>
  "block w-full rounded-md border-0 bg-white px-3 py-2 text-sm text-slate-900 shadow-sm ring-1 ring-inset " +
  "placeholder:text-slate-400 focus:ring-2 focus:ring-inset focus:outline-none " +
  (invalid ? "ring-red-400 focus:ring-red-600" : "ring-slate-300 focus:ring-indigo-600");

/** id used for the control of field `name` (also the label's `for`). */
export const fieldId = (name: string) => `f-${name.replace(/[^A-Za-z0-9_-]/g, "-")}`;
const errorId = (name: string) => `${fieldId(name)}-error`;
const hintId = (name: string) => `${fieldId(name)}-hint`;

/** aria attributes for a control of field `name`. */
export function describedBy(name: string, opts: { error?: string | undefined; hint?: string | undefined }) {
  const ids = [opts.hint ? hintId(name) : "", opts.error ? errorId(name) : ""].filter(Boolean).join(" ");
  return { "aria-describedby": ids || undefined, "aria-invalid": opts.error ? "true" : undefined };
}

export interface FieldProps {
  label: string;
  name: string;
  error?: string | undefined;
  hint?: string | undefined;
  class?: string;
}

/** Label + control (children) + hint + error. The control must use id={fieldId(name)} and describedBy(…). */
export function Field({ label, name, error, hint, class: extra, children }: PropsWithChildren<FieldProps>): JSX.Element {
  return (
    <div class={`space-y-1 ${extra ?? ""}`}>
      <label for={fieldId(name)} class="block text-sm font-medium text-slate-800" safe>
        {label}
      </label>
      {children}
      {hint ? (
        <p id={hintId(name)} class="text-xs text-slate-500" safe>
          {hint}
        </p>
      ) : (
        ""
      )}
      {error ? (
        <p id={errorId(name)} class="text-sm text-red-700" safe>
          {error}
        </p>
      ) : (
        ""
      )}
    </div>
  );
}

export type FormFieldProps = FieldProps & Omit<JSX.HtmlInputTag, "name" | "class"> & { value?: string | number | undefined };

/** A labelled <input> (type text unless given). */
export function FormField({ label, name, error, hint, class: extra, value, type, ...rest }: FormFieldProps): JSX.Element {
  return (
    <Field label={label} name={name} error={error} hint={hint} class={extra}>
      <input
        id={fieldId(name)}
        name={name}
        type={type ?? "text"}
        value={value === undefined ? undefined : String(value)}
        class={controlClass(!!error)}
        {...describedBy(name, { error, hint })}
        {...rest}
      />
    </Field>
  );
}

export type TextAreaProps = Omit<JSX.HtmlTextAreaTag, "class"> & {
  name: string;
  value?: string | undefined;
  error?: string | undefined;
  hint?: string | undefined;
  class?: string;
};

/** <textarea> styled like the inputs; `value` is escaped. Use inside <Field>. */
export function TextArea({ name, value, error, hint, class: extra, ...rest }: TextAreaProps): JSX.Element {
  return (
    <textarea
      id={fieldId(name)}
      name={name}
      class={`${controlClass(!!error)} font-mono ${extra ?? ""}`}
      {...describedBy(name, { error, hint })}
      {...rest}
      safe
    >
      {value ?? ""}
    </textarea>
  );
}

export type SelectProps = Omit<JSX.HtmlSelectTag, "class"> & {
  name: string;
  options: readonly (string | { value: string; label: string })[];
  value?: string | undefined;
  error?: string | undefined;
  hint?: string | undefined;
  class?: string;
};

/** <select> from a list of values or {value, label}. Use inside <Field>. */
export function Select({ name, options, value, error, hint, class: extra, ...rest }: SelectProps): JSX.Element {
  return (
    <select id={fieldId(name)} name={name} class={`${controlClass(!!error)} ${extra ?? ""}`} {...describedBy(name, { error, hint })} {...rest}>
      {options.map((o) => {
        const opt = typeof o === "string" ? { value: o, label: o } : o;
        return (
          <option value={opt.value} selected={opt.value === value} safe>
            {opt.label}
          </option>
        );
      })}
    </select>
  );
}

/** Hidden CSRF input; `Form` adds it for you. */
export function CsrfInput({ ui }: { ui: UiState }): JSX.Element {
  return <input type="hidden" name={CSRF_FIELD} value={ui.csrfToken} />;
}

export type FormProps = PropsWithChildren<Omit<JSX.HtmlFormTag, "method"> & { ui: UiState; method?: "post" | "get" }>;

/** <form method="post"> with the CSRF field (GET forms get none). */
export function Form({ ui, method, children, ...rest }: FormProps): JSX.Element {
  const m = method ?? "post";
  return (
    <form method={m} {...rest}>
      {m === "post" ? <CsrfInput ui={ui} /> : ""}
      {children}
    </form>
  );
}
