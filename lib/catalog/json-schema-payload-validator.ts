import type { default as Ajv, ErrorObject, Options as AjvOptions } from 'ajv';
import type { WebhookLogger } from '../domain/logger';
import type { PayloadFieldError } from '../domain/webhook.error';
import type { JsonSchemaObject } from './event-catalog.types';
import type { PayloadValidator } from './payload-validator';

/** The JSON Schema drafts ajv checks, by the `$schema` that selects them (none: draft-07). */
type Draft = 'draft-07' | '2019-09' | '2020-12';

const DRAFT_URIS: Record<string, Draft> = {
  'http://json-schema.org/draft-07/schema': 'draft-07',
  'https://json-schema.org/draft/2019-09/schema': '2019-09',
  'https://json-schema.org/draft/2020-12/schema': '2020-12',
};

type AjvConstructor = new (options: AjvOptions) => Ajv;

/** Loads ajv (a dependency, loaded only when a catalog has a JSON Schema) for one draft. */
async function loadAjv(draft: Draft): Promise<AjvConstructor> {
  const mod: unknown = draft === '2020-12' ? await import('ajv/dist/2020.js') : draft === '2019-09' ? await import('ajv/dist/2019.js') : await import('ajv');
  // CommonJS seen from import(): the class is module.exports (`default`), which also carries itself as `default`.
  const m = mod as { default?: { default?: unknown } | unknown };
  const candidates = [(m.default as { default?: unknown } | undefined)?.default, m.default, mod];
  const found = candidates.find((c) => typeof c === 'function');
  if (!found) throw new Error('ajv could not be loaded');
  return found as AjvConstructor;
}

/**
 * Compiles the JSON Schemas of a catalog with ajv: `allErrors` (every failing field is reported), ajv's default
 * strict mode (unknown keywords and formats are refused when compiling, so a typo cannot silently accept
 * everything), no format validators. One ajv instance per draft, shared by the catalog's schemas.
 */
export class JsonSchemaCompiler {
  private readonly instances = new Map<Draft, Promise<Ajv>>();

  constructor(private readonly logger?: WebhookLogger) {}

  /** A validator of `schema`; throws an Error saying why ajv cannot compile it. */
  async compile(schema: JsonSchemaObject): Promise<PayloadValidator> {
    const draft = draftOf(schema.$schema);
    const ajv = await this.instance(draft);
    try {
      return new JsonSchemaPayloadValidator(ajv.compile(schema));
    } catch (err) {
      const message = (err as Error).message;
      const hint = /unknown format/.test(message)
        ? ' (JSON Schemas are checked with ajv without format validators: remove "format", express it with "pattern", or use a class-validator class)'
        : '';
      throw new Error(`ajv cannot compile its JSON Schema (${draft}): ${message}${hint}`);
    }
  }

  private instance(draft: Draft): Promise<Ajv> {
    let ajv = this.instances.get(draft);
    if (!ajv) {
      const logger = this.logger;
      ajv = loadAjv(draft).then(
        (Ajv) =>
          new Ajv({
            allErrors: true,
            logger: logger ? { log: () => undefined, warn: (...args: unknown[]) => logger.warn(`event_catalog: ajv: ${args.join(' ')}`), error: (...args: unknown[]) => logger.error(`event_catalog: ajv: ${args.join(' ')}`) } : false,
          }),
      );
      this.instances.set(draft, ajv);
    }
    return ajv;
  }
}

/** The draft a `$schema` names; throws for one ajv does not check here. */
function draftOf(uri: unknown): Draft {
  if (uri === undefined) return 'draft-07';
  const draft = typeof uri === 'string' ? DRAFT_URIS[uri.replace(/#$/, '')] : undefined;
  if (!draft) {
    throw new Error(`its JSON Schema's $schema ${JSON.stringify(uri)} is not supported: use draft-07 (the default, no $schema), 2019-09 or 2020-12`);
  }
  return draft;
}

/** A payload checked by a compiled ajv function (a `$async` schema's promise is awaited). */
class JsonSchemaPayloadValidator implements PayloadValidator {
  constructor(private readonly fn: ReturnType<Ajv['compile']>) {}

  async validate(payload: unknown): Promise<PayloadFieldError[]> {
    const result: unknown = this.fn(payload);
    // A sync schema returns a boolean and leaves its errors on the function until the next call: read them now,
    // before any await lets another payload's check replace them.
    if (typeof result === 'boolean') return result ? [] : toFieldErrors(this.fn.errors ?? []);
    try {
      await result;
      return [];
    } catch (err) {
      const errors = (err as { errors?: unknown }).errors;
      if (Array.isArray(errors)) return toFieldErrors(errors as ErrorObject[]);
      throw err;
    }
  }
}

/** ajv's errors as dot paths: `required` and `additionalProperties` point at the property they name. */
function toFieldErrors(errors: readonly ErrorObject[]): PayloadFieldError[] {
  const out: PayloadFieldError[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    let path = pointerToPath(e.instancePath);
    let message = e.message ?? `fails "${e.keyword}"`;
    const params = e.params as Record<string, unknown>;
    if (e.keyword === 'required' && typeof params.missingProperty === 'string') {
      path = join(path, params.missingProperty);
      message = 'is required';
    } else if (e.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
      path = join(path, params.additionalProperty);
      message = 'is not allowed (no such property in the schema)';
    } else if (e.keyword === 'unevaluatedProperties' && typeof params.unevaluatedProperty === 'string') {
      path = join(path, params.unevaluatedProperty);
      message = 'is not allowed (no such property in the schema)';
    } else if (e.keyword === 'enum' && Array.isArray(params.allowedValues)) {
      message = `must be one of ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    }
    const key = `${path}\u0000${message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push({ path, message });
    }
  }
  return out;
}

/** `/customer/email` -> `customer.email` (JSON Pointer escapes undone). */
function pointerToPath(pointer: string): string {
  if (!pointer) return '';
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

function join(parent: string, key: string): string {
  return parent ? `${parent}.${key}` : key;
}
