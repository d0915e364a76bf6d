// /ui/api-keys: the tenant's keys (Active / Expired / Revoked), revoke through htmx, and the create form. The raw
// key is shown exactly once, Post/Redirect/Get: the POST keeps it in the session (setReveal) and answers 303 to
// /ui/api-keys/created, which takes it out again; reloading that page shows it no more and re-posts nothing.
// Everything goes through the apiKeys.* procedures.
import type { FastifyInstance } from "fastify";

import { SCOPES, type Scope } from "@btick/auth";
import type { RouterOutputs } from "@btick/contract";

import type { UiState } from "../../plugins/session.ts";
import { Alert } from "../components/Alert.tsx";
import { Badge, type BadgeTone } from "../components/Badge.tsx";
import { Button, LinkButton } from "../components/Button.tsx";
import { ConfirmButton } from "../components/ConfirmButton.tsx";
import { Field, Form, FormField, Select } from "../components/FormField.tsx";
import { Pagination } from "../components/Pagination.tsx";
import { EmptyRow, Table, Td } from "../components/Table.tsx";
import { formErrors, isHtmx, setFlash, setReveal, takeReveal, uiCaller, type FieldErrors, type Reveal } from "../context.ts";
import { Card, Layout, PageHeader } from "../layout.tsx";
import { DEFAULT_KEY_SCOPES, SCOPE_DESCRIPTIONS } from "../scopes.ts";

type ApiKey = RouterOutputs["apiKeys"]["list"]["api_keys"][number];

const STATE: Record<ApiKey["state"], { label: string; tone: BadgeTone }> = {
  active: { label: "Active", tone: "green" },
  expired: { label: "Expired", tone: "yellow" },
  revoked: { label: "Revoked", tone: "gray" },
};

export const EXPIRY_CHOICES = [
  { value: "", label: "Never" },
  { value: "7", label: "In 7 days" },
  { value: "30", label: "In 30 days" },
  { value: "90", label: "In 90 days" },
  { value: "365", label: "In 1 year" },
] as const;

const str = (v: unknown) => (typeof v === "string" ? v : "");

function fmt(iso: string | null): string {
  return iso ? `${iso.slice(0, 16).replace("T", " ")} UTC` : "—";
}

function Time({ iso }: { iso: string | null }): JSX.Element {
  return iso ? (
    <time datetime={iso} class="whitespace-nowrap" safe>
      {fmt(iso)}
    </time>
  ) : (
    <span class="text-slate-400">—</span>
  );
}

export function KeyRow({ ui, apiKey }: { ui: UiState; apiKey: ApiKey }): JSX.Element {
  const state = STATE[apiKey.state];
  return (
    <tr data-row id={`key-${apiKey.id}`}>
      <Td class="min-w-32 font-medium wrap-anywhere">
        <span safe>{apiKey.name}</span>
      </Td>
      <Td>
        <code class="rounded bg-slate-100 px-1.5 py-0.5 text-xs" safe>
          {apiKey.key_prefix}
        </code>
      </Td>
      <Td>
        <ul class="flex max-w-xs flex-wrap gap-1">
          {apiKey.scopes.map((s) => (
            <li>
              <Badge tone="blue" text={s} />
            </li>
          ))}
        </ul>
      </Td>
      <Td>
        <Badge tone={state.tone} text={state.label} />
      </Td>
      <Td class="text-slate-600">
        <Time iso={apiKey.created_at} />
      </Td>
      <Td class="text-slate-600">
        <Time iso={apiKey.last_used_at} />
      </Td>
      <Td class="text-slate-600">
        <Time iso={apiKey.revoked_at ?? apiKey.expires_at} />
      </Td>
      <Td class="text-right">
        {apiKey.state === "revoked" ? (
          // Same id as the Revoke button it replaces, and focusable: the keyboard focus stays in this row.
          <span id={`key-${apiKey.id}-action`} tabindex="-1" class="text-xs text-slate-500">
            <span class="sr-only" safe>{`Key ${apiKey.name} is revoked.`}</span>
          </span>
        ) : (
          <ConfirmButton
            id={`key-${apiKey.id}-action`}
            ui={ui}
            action={`/ui/api-keys/${apiKey.id}/revoke`}
            confirm={`Revoke the key "${apiKey.name}"? Programs using it stop working immediately.`}
            label="Revoke"
            ariaLabel={`Revoke key ${apiKey.name}`}
            variant="danger"
          />
        )}
      </Td>
    </tr>
  );
}

function KeysPage({ ui, keys, cursor, nextCursor }: { ui: UiState; keys: ApiKey[]; cursor: string | null; nextCursor: string | null }): JSX.Element {
  return (
    <Layout ui={ui} title="API keys" nav="api-keys">
      <PageHeader title="API keys" subtitle="Keys authenticate programs calling the REST or tRPC API. Each key carries only the scopes you grant it.">
        <LinkButton href="/ui/api-keys/new" variant="primary">
          New API key
        </LinkButton>
      </PageHeader>
      <Table
        caption="API keys"
        columns={["Name", "Prefix", "Scopes", "State", "Created", "Last used", "Expires / revoked", { label: "Actions", srOnly: true }]}
      >
        {keys.length === 0 ? <EmptyRow colspan={8} text="No API keys yet." /> : keys.map((k) => <KeyRow ui={ui} apiKey={k} />)}
      </Table>
      <Pagination path="/ui/api-keys" cursor={cursor} nextCursor={nextCursor} />
    </Layout>
  );
}

interface NewKeyValues {
  name: string;
  scopes: string[];
  expires_in: string;
}

function NewKeyPage({ ui, values, errors }: { ui: UiState; values: NewKeyValues; errors: FieldErrors }): JSX.Element {
  return (
    <Layout ui={ui} title="New API key" nav="api-keys">
      <PageHeader title="New API key" />
      <Card class="max-w-2xl">
        <Form ui={ui} action="/ui/api-keys" class="space-y-5" novalidate>
          {errors._form ? <Alert kind="error" message={errors._form} /> : ""}
          <FormField label="Name" name="name" value={values.name} error={errors.name} hint="To recognise the key later, e.g. “CI deploy”." maxlength="200" required />
          <fieldset aria-describedby={errors.scopes ? "f-scopes-error" : undefined}>
            <legend class="text-sm font-medium text-slate-800">Scopes</legend>
            <ul class="mt-2 space-y-2">
              {SCOPES.map((scope) => (
                <li class="flex items-start gap-3">
                  <input
                    type="checkbox"
                    id={`scope-${scope.replace(":", "-")}`}
                    name="scopes"
                    value={scope}
                    checked={values.scopes.includes(scope)}
                    class="mt-0.5 size-4 rounded border-slate-300 text-indigo-600 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600"
                  />
                  <label for={`scope-${scope.replace(":", "-")}`} class="text-sm">
                    <code class="font-medium text-slate-900">
                      {scope}
                    </code>
                    <span class="block text-slate-600" safe>
                      {SCOPE_DESCRIPTIONS[scope]}
                    </span>
                  </label>
                </li>
              ))}
            </ul>
            {errors.scopes ? (
              <p id="f-scopes-error" class="mt-2 text-sm text-red-700" safe>
                {errors.scopes}
              </p>
            ) : (
              ""
            )}
          </fieldset>
          <Field label="Expires" name="expires_in" error={errors.expires_at} hint="An expired key stops working; you can also revoke it at any time.">
            <Select name="expires_in" options={EXPIRY_CHOICES} value={values.expires_in} error={errors.expires_at} />
          </Field>
          <div class="flex gap-2">
            <Button type="submit" variant="primary">
              Create key
            </Button>
            <LinkButton href="/ui/api-keys" variant="ghost">
              Cancel
            </LinkButton>
          </div>
        </Form>
      </Card>
    </Layout>
  );
}

type CreatedKey = Extract<Reveal, { kind: "api_key" }>;

function CreatedKeyPage({ ui, apiKey, rawKey }: { ui: UiState; apiKey: Pick<CreatedKey, "name" | "scopes">; rawKey: string }): JSX.Element {
  return (
    <Layout ui={ui} title="API key created" nav="api-keys">
      <PageHeader title="API key created" />
      <Card class="max-w-2xl space-y-4">
        <Alert kind="info" message="Copy the key now. It is shown only this once; BTick stores only a hash of it." />
        <div>
          <label for="raw-key" class="block text-sm font-medium text-slate-800 wrap-anywhere">
            Key “<span safe>{apiKey.name}</span>”
          </label>
          <div class="mt-1 flex flex-col gap-2 sm:flex-row">
            <input
              id="raw-key"
              type="text"
              readonly
              value={rawKey}
              class="block w-full rounded-md border-0 bg-slate-50 px-3 py-2 font-mono text-sm ring-1 ring-slate-300 ring-inset focus:ring-2 focus:ring-indigo-600 focus:outline-none"
            />
            <Button data-copy-target="raw-key" variant="primary">
              Copy
            </Button>
          </div>
          <p class="mt-2 text-sm text-slate-600">
            Use it as <code class="rounded bg-slate-100 px-1">Authorization: Bearer &lt;key&gt;</code>. Scopes:{" "}
            <span safe>{apiKey.scopes.join(", ")}</span>.
          </p>
        </div>
        <LinkButton href="/ui/api-keys">Back to API keys</LinkButton>
      </Card>
    </Layout>
  );
}

function readScopes(v: unknown): string[] {
  const list = Array.isArray(v) ? v : typeof v === "string" ? v.split(",") : [];
  return [...new Set(list.filter((s): s is string => typeof s === "string").map((s) => s.trim()).filter(Boolean))];
}

export async function apiKeyPages(app: FastifyInstance): Promise<void> {
  app.get("/api-keys", async (request, reply) => {
    const cursor = str((request.query as Record<string, unknown>).cursor) || null;
    const api = await uiCaller(request);
    const page = await api.apiKeys.list(cursor ? { limit: 50, cursor } : { limit: 50 });
    return reply.html(<KeysPage ui={request.ui} keys={page.api_keys} cursor={cursor} nextCursor={page.next_cursor} />);
  });

  app.get("/api-keys/new", async (request, reply) =>
    reply.html(<NewKeyPage ui={request.ui} values={{ name: "", scopes: [...DEFAULT_KEY_SCOPES], expires_in: "" }} errors={{}} />),
  );

  app.post("/api-keys", async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const values: NewKeyValues = { name: str(body.name), scopes: readScopes(body.scopes), expires_in: str(body.expires_in) };
    const days = EXPIRY_CHOICES.some((c) => c.value === values.expires_in) && values.expires_in !== "" ? Number(values.expires_in) : null;
    const api = await uiCaller(request);
    try {
      const created = await api.apiKeys.create({
        name: values.name,
        scopes: values.scopes as Scope[],
        expires_at: days === null ? null : new Date(Date.now() + days * 86_400_000).toISOString(),
      });
      const { api_key: key } = created;
      await setReveal(request, { kind: "api_key", keyId: key.id, name: key.name, scopes: key.scopes, rawKey: created.raw_key });
      return reply.redirect("/ui/api-keys/created", 303);
    } catch (err) {
      const errors = formErrors(err);
      // Scope errors arrive per entry ("scopes.0"); show them once on the group.
      for (const key of Object.keys(errors)) {
        if (key.startsWith("scopes.")) {
          errors.scopes ??= errors[key] ?? "";
          delete errors[key];
        }
      }
      return reply.status(422).html(<NewKeyPage ui={request.ui} values={values} errors={errors} />);
    }
  });

  app.get("/api-keys/created", async (request, reply) => {
    const created = await takeReveal(request, "api_key");
    if (created === null) {
      setFlash(request, reply, { kind: "info", message: "A new key is shown only once, right after it is created; create another if it is lost." });
      return reply.redirect("/ui/api-keys", 303);
    }
    return reply.html(<CreatedKeyPage ui={request.ui} apiKey={created} rawKey={created.rawKey} />);
  });

  app.post("/api-keys/:keyId/revoke", async (request, reply) => {
    const { keyId } = request.params as { keyId: string };
    const api = await uiCaller(request);
    const { api_key } = await api.apiKeys.revoke({ keyId });
    if (isHtmx(request)) return reply.html(<KeyRow ui={request.ui} apiKey={api_key} />);
    setFlash(request, reply, { kind: "success", message: `Key "${api_key.name}" revoked.` });
    return reply.redirect("/ui/api-keys", 303);
  });
}
