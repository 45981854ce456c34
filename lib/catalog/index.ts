/** The event catalog: event types with payload schemas, checked at dispatch (`event_catalog` in the module config). */
export { EventCatalog, type EventCatalogOptions } from './event-catalog';
export type { ClassValidatorSchema, EventCatalogEntry, EventPayloadSchema, EventTypeDescription, JsonSchemaObject } from './event-catalog.types';
