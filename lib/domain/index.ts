export * from './types';
export * from './stores';
export * from './webhook.error';
export * from './outcome';
export * from './event-type';
export type { FilterCondition, FilterOperators, FilterScalar, WebhookFilter } from './filter/webhook-filter';
export { FILTER_LIMITS } from './filter/webhook-filter';
export { MAX_CUSTOM_HEADER_BYTES, MAX_CUSTOM_HEADERS } from './custom-headers';
export * from './test-send';
