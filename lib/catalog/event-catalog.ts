import { eventTypeMatches } from '../domain/event-type';
import type { WebhookLogger } from '../domain/logger';
import type { TestEvent } from '../domain/test-send';
import type { StoredEvent, WebhookSubscription } from '../domain/types';
import { InvalidEventError, InvalidSubscriptionError, InvalidWebhookConfigError } from '../domain/webhook.error';
import { entryLabel, eventCatalogProblem, isClass } from './catalog-entries';
import { classToJsonSchema } from './class-json-schema';
import { ClassPayloadValidator, hasValidationMetadata } from './class-payload-validator';
import type { EventCatalogEntry, EventTypeDescription, JsonSchemaObject } from './event-catalog.types';
import { JsonSchemaCompiler } from './json-schema-payload-validator';
import { describeFieldErrors, type PayloadValidator } from './payload-validator';

/** Options of {@link EventCatalog.create}. */
export interface EventCatalogOptions {
  /** Also accept event types that are not catalogued (their payloads unchecked). Default false. */
  allow_unlisted_event_types?: boolean;
  /** Where ajv's schema warnings go (strict-mode notes). Default: nowhere. */
  logger?: WebhookLogger;
}

/** A catalogued type, ready to check payloads. */
interface CatalogedType {
  entry: Readonly<EventCatalogEntry>;
  validator: PayloadValidator;
  /** The example as receivers get it (its JSON), when the entry has one. */
  exampleJson?: string;
  /** The schema as JSON Schema, once rendered (class schemas are rendered on first request). */
  jsonSchema?: Promise<JsonSchemaObject>;
}

/** How many catalogued names an error message lists. */
const NAMES_SHOWN = 20;

/**
 * The event catalog (`event_catalog` in the module config): the event types this app sends, each with a payload
 * schema. When it holds at least one type, `dispatch()` refuses an event whose type is not catalogued (unless
 * `allow_unlisted_event_types`) or whose payload fails its schema, and subscriptions may only name catalogued
 * types or wildcards matching one. Without entries it accepts everything, as if it were not there. Injectable by
 * this class.
 */
export class EventCatalog {
  private constructor(
    private readonly types: ReadonlyMap<string, CatalogedType>,
    /** Whether event types outside the catalog are accepted (always, when the catalog is empty). */
    readonly allowsUnlisted: boolean,
  ) {}

  /**
   * Checks every entry and prepares its validator: the shape of each entry, class schemas that class-validator
   * knows, JSON Schemas that ajv compiles, examples that pass their own schema. Throws
   * {@link InvalidWebhookConfigError} (key `event_catalog`) naming the first bad entry.
   */
  static async create(entries: readonly EventCatalogEntry[] | null | undefined, options: EventCatalogOptions = {}): Promise<EventCatalog> {
    const list = entries ?? [];
    const problem = eventCatalogProblem(list);
    if (problem) throw new InvalidWebhookConfigError('event_catalog', problem);
    const compiler = new JsonSchemaCompiler(options.logger);
    const types = new Map<string, CatalogedType>();
    for (const [i, given] of list.entries()) {
      const entry: Readonly<EventCatalogEntry> = Object.freeze({ ...given });
      try {
        types.set(entry.event_type, await prepare(entry, compiler));
      } catch (err) {
        if (err instanceof InvalidWebhookConfigError) throw err;
        throw new InvalidWebhookConfigError('event_catalog', `${entryLabel(i, entry)}: ${(err as Error).message}`);
      }
    }
    return new EventCatalog(types, types.size === 0 || options.allow_unlisted_event_types === true);
  }

  /** A catalog with no entries: everything is accepted. */
  static empty(): EventCatalog {
    return new EventCatalog(new Map(), true);
  }

  /** Whether a catalog is configured (at least one type): only then are events and subscriptions checked. */
  get enabled(): boolean {
    return this.types.size > 0;
  }

  /** The catalogued event types, in configuration order. */
  get eventTypes(): string[] {
    return [...this.types.keys()];
  }

  /** The entry of `eventType`, if catalogued. */
  get(eventType: string): Readonly<EventCatalogEntry> | undefined {
    return this.types.get(eventType)?.entry;
  }

  /**
   * Refuses, with {@link InvalidEventError}, an event type that is not catalogued (unless unlisted types are
   * allowed) and a payload that fails its type's schema, listing the failing fields (also in `fieldErrors`).
   * `payload` is checked as receivers get it: its JSON.
   */
  async checkPayload(eventType: string, payload: unknown): Promise<void> {
    if (!this.enabled) return;
    const type = this.types.get(eventType);
    if (!type) {
      if (this.allowsUnlisted) return;
      throw new InvalidEventError(
        `event_type ${JSON.stringify(eventType)} is not in the event catalog (${this.catalogued()}): add it to event_catalog, or set allow_unlisted_event_types: true to send types the catalog does not list`,
      );
    }
    const errors = await type.validator.validate(payload);
    if (errors.length > 0) {
      throw new InvalidEventError(`the payload of ${JSON.stringify(eventType)} does not match its schema in the event catalog: ${describeFieldErrors(errors)}`, errors);
    }
  }

  /** {@link EventCatalog.checkPayload} for a serialized event (the payload is read back from its body, when there is a catalog). */
  async checkEvent(event: Pick<StoredEvent, 'event_type' | 'body'>): Promise<void> {
    if (!this.enabled) return;
    const type = this.types.get(event.event_type);
    if (!type && this.allowsUnlisted) return;
    await this.checkPayload(event.event_type, type ? (JSON.parse(event.body) as { payload: unknown }).payload : undefined);
  }

  /**
   * A subscription's `event_types`, refused with {@link InvalidSubscriptionError} (field `event_types`) when one
   * names no catalogued type: an exact name must be catalogued, a `*` pattern must match at least one. null (every
   * event) is fine. Unchecked without a catalog or with unlisted types allowed.
   */
  checkSubscriptionEventTypes<T extends readonly string[] | null>(eventTypes: T): T {
    if (this.allowsUnlisted || eventTypes === null) return eventTypes;
    for (const pattern of eventTypes) {
      if (this.types.has(pattern)) continue;
      if (pattern.includes('*') && this.eventTypes.some((t) => eventTypeMatches([pattern], t))) continue;
      throw new InvalidSubscriptionError(
        `event_types: ${JSON.stringify(pattern)} ${pattern.includes('*') ? 'matches no event type' : 'is not an event type'} in the event catalog (${this.catalogued()}): subscribe to catalogued types or to wildcards matching at least one, or set allow_unlisted_event_types: true`,
        'event_types',
      );
    }
    return eventTypes;
  }

  /**
   * The event a test send of `eventType` carries: the type and its example. Refused with
   * {@link InvalidEventError} when the type is not catalogued, has no example, or is not among the types the
   * subscription receives.
   */
  testEvent(eventType: unknown, subscription: Pick<WebhookSubscription, 'subscription_id' | 'event_types'>): TestEvent {
    if (typeof eventType !== 'string') throw new InvalidEventError('event_type of a test send must be the name of a catalogued event type');
    const type = this.types.get(eventType);
    const entry = type?.entry;
    if (!entry) {
      throw new InvalidEventError(`cannot send a test of ${JSON.stringify(eventType)}: it is not in the event catalog (${this.catalogued()}); omit event_type to send webhook.test`);
    }
    if (type?.exampleJson === undefined) {
      throw new InvalidEventError(`cannot send a test of ${JSON.stringify(eventType)}: its event_catalog entry has no example; add one, or omit event_type to send webhook.test`);
    }
    if (!eventTypeMatches(subscription.event_types, eventType)) {
      throw new InvalidEventError(
        `cannot send a test of ${JSON.stringify(eventType)} to subscription ${subscription.subscription_id}: it does not receive that type (event_types ${JSON.stringify(subscription.event_types)})`,
      );
    }
    return { event_type: eventType, payload: JSON.parse(type!.exampleJson!) as unknown };
  }

  /**
   * The catalog as `GET /<prefix>/event-types` shows it, in configuration order: each type's schema as JSON
   * Schema (a class's generated with class-validator-jsonschema, an optional peer loaded here; a JSON Schema as
   * given) and its example (null when none). Copies: changing them changes nothing here.
   */
  async describe(): Promise<EventTypeDescription[]> {
    const out: EventTypeDescription[] = [];
    for (const type of this.types.values()) {
      const { entry } = type;
      if (!type.jsonSchema) {
        const rendering = isClass(entry.schema) ? classToJsonSchema(entry.schema) : Promise.resolve(entry.schema);
        type.jsonSchema = rendering;
        // A failure (the optional package missing) is not kept: the next request tries again.
        rendering.catch(() => {
          if (type.jsonSchema === rendering) type.jsonSchema = undefined;
        });
      }
      out.push({
        event_type: entry.event_type,
        description: entry.description ?? null,
        schema: structuredClone(await type.jsonSchema),
        example: type.exampleJson === undefined ? null : (JSON.parse(type.exampleJson) as unknown),
      });
    }
    return out;
  }

  /** The catalogued names, for error messages. */
  private catalogued(): string {
    const names = this.eventTypes;
    const shown = names.slice(0, NAMES_SHOWN).join(', ');
    return `catalogued: ${shown}${names.length > NAMES_SHOWN ? `, and ${names.length - NAMES_SHOWN} more` : ''}`;
  }
}

/** One entry's validator, after checking its schema and its example (throws an Error saying what is wrong). */
async function prepare(entry: Readonly<EventCatalogEntry>, compiler: JsonSchemaCompiler): Promise<CatalogedType> {
  let validator: PayloadValidator;
  if (isClass(entry.schema)) {
    if (!hasValidationMetadata(entry.schema)) {
      throw new Error(
        `schema ${entry.schema.name || '(anonymous class)'} has no class-validator decorators, so it would refuse every payload: decorate its properties (@IsString(), @ValidateNested() with @Type(() => Child), ...) or give a JSON Schema object`,
      );
    }
    validator = new ClassPayloadValidator(entry.schema);
  } else {
    validator = await compiler.compile(entry.schema);
  }
  if (entry.example === undefined) return { entry, validator };
  let exampleJson: string | undefined;
  try {
    exampleJson = JSON.stringify(entry.example);
  } catch (err) {
    throw new Error(`example is not JSON-serializable: ${(err as Error).message.split('\n')[0]}`);
  }
  if (exampleJson === undefined) throw new Error('example is not JSON-serializable (a function or a symbol)');
  const errors = await validator.validate(JSON.parse(exampleJson));
  if (errors.length > 0) throw new Error(`example does not match its own schema: ${describeFieldErrors(errors)}`);
  return { entry, validator, exampleJson };
}
