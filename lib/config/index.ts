export * from './webhook-config';
