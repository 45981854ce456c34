export * from './types';
export * from './stores';
export * from './webhook.error';
export * from './outcome';
export * from './event-type';
export * from './stats';
