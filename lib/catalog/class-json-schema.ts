import { getMetadataStorage, ValidationTypes } from 'class-validator';
import { InvalidWebhookConfigError } from '../domain/webhook.error';
import { hasValidationMetadata } from './class-payload-validator';
import type { ClassValidatorSchema, JsonSchemaObject } from './event-catalog.types';

/** The optional peer that turns class-validator metadata into JSON Schema. */
export const CLASS_VALIDATOR_JSONSCHEMA = 'class-validator-jsonschema';

/** What this file uses of class-validator-jsonschema. */
interface JsonSchemaGenerator {
  targetConstructorToSchema(target: ClassValidatorSchema, options?: Record<string, unknown>): JsonSchemaObject;
}

/** What the converters read of class-validator's metadata of one decorator. */
interface ValidationMetadata {
  target: unknown;
  propertyName: string;
}

/** Where class-transformer keeps `@Type()` (not in its typings, hence loaded by a computed name). */
const TYPE_METADATA_MODULE = 'class-transformer/cjs/storage.js';

/** What it uses of class-transformer's metadata (where `@Type(() => Child)` is kept). */
interface TypeMetadataStorage {
  findTypeMetadata(target: unknown, propertyName: string): { typeFunction(options?: unknown): unknown } | undefined;
}

let loaded: Promise<{ generator: JsonSchemaGenerator; types: TypeMetadataStorage }> | null = null;

/**
 * Loads class-validator-jsonschema (an optional peer, needed only to show class schemas as JSON Schema) and
 * class-transformer's metadata storage, once. A missing package is an error saying how to install it.
 */
function load(): Promise<{ generator: JsonSchemaGenerator; types: TypeMetadataStorage }> {
  loaded ??= (async () => {
    let mod: unknown;
    try {
      mod = await import('class-validator-jsonschema');
    } catch (err) {
      const code = (err as { code?: string } | null)?.code;
      if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') throw err;
      throw new InvalidWebhookConfigError(
        'event_catalog',
        `showing a class-validator schema as JSON Schema needs the optional package ${CLASS_VALIDATOR_JSONSCHEMA}, which is not installed: npm install ${CLASS_VALIDATOR_JSONSCHEMA} (or give the entry a JSON Schema object)`,
      );
    }
    const storage = (await import(TYPE_METADATA_MODULE)) as { defaultMetadataStorage?: TypeMetadataStorage; default?: { defaultMetadataStorage?: TypeMetadataStorage } };
    const types = storage.defaultMetadataStorage ?? storage.default?.defaultMetadataStorage;
    const m = mod as Partial<JsonSchemaGenerator> & { default?: Partial<JsonSchemaGenerator> };
    const generator = typeof m.targetConstructorToSchema === 'function' ? m : m.default;
    if (!types || typeof generator?.targetConstructorToSchema !== 'function') throw new Error(`${CLASS_VALIDATOR_JSONSCHEMA} or class-transformer could not be loaded`);
    return { generator: generator as JsonSchemaGenerator, types };
  })();
  loaded.catch(() => {
    loaded = null;
  });
  return loaded;
}

/**
 * Resolves once class-validator-jsonschema (and class-transformer's metadata) is loaded; rejects with the
 * {@link InvalidWebhookConfigError} saying how to install it when it is not. For start-up checks.
 */
export async function loadClassJsonSchemaSupport(): Promise<void> {
  await load();
}

const PREFIX = '#/definitions/';

/**
 * The JSON Schema (draft-07) of a class-validator class, self-contained: nested classes (`@ValidateNested()` with
 * `@Type(() => Child)`, or the property's declared class) become `definitions` referenced by `$ref` (the class
 * itself by `#`), names made unique; a nested property whose class has no decorators is `{ "type": "object" }`.
 */
export async function classToJsonSchema(root: ClassValidatorSchema): Promise<JsonSchemaObject> {
  const { generator, types } = await load();
  const refs = new Map<unknown, string>([[root, '#']]);
  const names = new Set<string>();
  const pending: ClassValidatorSchema[] = [];

  const refOf = (cls: ClassValidatorSchema): string => {
    let ref = refs.get(cls);
    if (!ref) {
      const base = (cls.name || 'Anonymous').replace(/[^A-Za-z0-9_.-]/g, '_');
      let name = base;
      for (let n = 2; names.has(name); n++) name = `${base}_${n}`;
      names.add(name);
      ref = PREFIX + name;
      refs.set(cls, ref);
      pending.push(cls);
    }
    return ref;
  };

  /** A property's type as a schema; `fallback` when it is not a primitive or a decorated class. */
  const typeSchema = (type: unknown, fallback: JsonSchemaObject): JsonSchemaObject => {
    if (type === String) return { type: 'string' };
    if (type === Number) return { type: 'number' };
    if (type === Boolean) return { type: 'boolean' };
    if (typeof type === 'function' && type !== Object && type !== Array && hasValidationMetadata(type as ClassValidatorSchema)) return { $ref: refOf(type as ClassValidatorSchema) };
    return fallback;
  };
  const declaredType = (meta: ValidationMetadata): unknown =>
    typeof meta.target === 'function' ? Reflect.getMetadata('design:type', (meta.target as { prototype: object }).prototype, meta.propertyName) : undefined;

  const options = {
    classValidatorMetadataStorage: getMetadataStorage(),
    classTransformerMetadataStorage: types,
    refPointerPrefix: PREFIX,
    additionalConverters: {
      [ValidationTypes.NESTED_VALIDATION]: (meta: ValidationMetadata) => {
        const typeMeta = typeof meta.target === 'function' ? types.findTypeMetadata(meta.target, meta.propertyName) : undefined;
        return typeSchema(typeMeta ? typeMeta.typeFunction() : declaredType(meta), { type: 'object' });
      },
      // Custom constraints: the declared type when it says something, otherwise no constraint (never a dangling $ref).
      [ValidationTypes.CUSTOM_VALIDATION]: (meta: ValidationMetadata) => typeSchema(declaredType(meta), {}),
    },
  };
  const schema: JsonSchemaObject = { $schema: 'http://json-schema.org/draft-07/schema#', ...generator.targetConstructorToSchema(root, options) };
  const definitions: Record<string, JsonSchemaObject> = {};
  for (let cls = pending.shift(); cls; cls = pending.shift()) {
    definitions[refs.get(cls)!.slice(PREFIX.length)] = generator.targetConstructorToSchema(cls, options);
  }
  if (Object.keys(definitions).length > 0) schema.definitions = definitions;
  return schema;
}
