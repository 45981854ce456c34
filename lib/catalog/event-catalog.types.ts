/** A JSON Schema document (draft-07 by default; 2019-09 and 2020-12 when its `$schema` says so). */
export type JsonSchemaObject = Record<string, unknown>;

/** A class whose properties carry class-validator decorators (a DTO, as NestJS validates request bodies with). */
export type ClassValidatorSchema = abstract new (...args: any[]) => object;

/** The schema of an event type's payload: a class-validator class, or a JSON Schema object. */
export type EventPayloadSchema = ClassValidatorSchema | JsonSchemaObject;

/** One event type of `event_catalog`. */
export interface EventCatalogEntry {
  /** The event type's name, as `dispatch()` gets it (`invoice.paid`): letters, digits and `. _ - : /`, no `*`. */
  event_type: string;
  /** What the event means, for the people who subscribe to it. Default none. */
  description?: string | null;
  /**
   * What its payload must be. A class-validator class: the payload (as receivers get it, its JSON) is turned into an
   * instance with class-transformer's `plainToInstance` and checked with `validate()` (nested objects need
   * `@ValidateNested()` with `@Type(() => Child)`). A JSON Schema object: checked with ajv.
   */
  schema: EventPayloadSchema;
  /** A payload of this type, checked against `schema` at start-up; shown by the admin API and sent by test sends. */
  example?: unknown;
}

/** One event type as `GET /<prefix>/event-types` (and `EventCatalog.describe()`) returns it. */
export interface EventTypeDescription {
  /** The event type's name. */
  event_type: string;
  /** What it means; null when not given. */
  description: string | null;
  /** The payload schema as JSON Schema: generated from a class-validator class, or the JSON Schema given. */
  schema: JsonSchemaObject;
  /** The example payload, or null when the entry has none. */
  example: unknown;
}
