// Validates JSON values against schemas of the served OpenAPI 3.1 document with an independent JSON Schema
// 2020-12 validator (Ajv), resolving `#/components/schemas/...` references against the document.
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";

const DOC_ID = "https://btick.invalid/openapi.json";

// ajv-formats is CommonJS with a default export.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (
  ajv: Ajv2020,
) => void;

export interface OpenApiDoc {
  openapi: string;
  info: Record<string, unknown>;
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
}

export interface MediaType {
  schema?: unknown;
  example?: unknown;
}

export interface Operation {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: { in: string; name: string; required?: boolean; schema: unknown }[];
  requestBody?: { required?: boolean; content: Record<string, MediaType> };
  responses: Record<string, { description: string; headers?: Record<string, unknown>; content?: Record<string, MediaType> }>;
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, k === "$ref" && typeof v === "string" && v.startsWith("#/") ? `${DOC_ID}${v}` : rewriteRefs(v)]),
    );
  }
  return value;
}

/** Returns `validate(schema, data)` → null when valid, else a readable list of errors. */
export function schemaValidator(doc: OpenApiDoc): (schema: unknown, data: unknown) => string | null {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: DOC_ID, components: doc.components });
  const cache = new Map<unknown, ReturnType<Ajv2020["compile"]>>();
  return (schema, data) => {
    let validate = cache.get(schema);
    if (!validate) {
      validate = ajv.compile(rewriteRefs(schema) as object);
      cache.set(schema, validate);
    }
    return validate(data) ? null : ajv.errorsText(validate.errors, { separator: "; " });
  };
}

export const HTTP_METHODS = ["get", "post", "put", "patch", "delete"] as const;

/** Every operation of the document as [method, path, operation]. */
export function operations(doc: OpenApiDoc): [string, string, Operation][] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([m]) => (HTTP_METHODS as readonly string[]).includes(m))
      .map(([m, op]) => [m, path, op] as [string, string, Operation]),
  );
}
