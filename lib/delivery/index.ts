export * from './webhook-delivery.service';
export * from './delivery.worker';
export * from './webhook-http.client';
export * from './retry-policy';
export * from './retry.processor';
export * from './retention.processor';
export * from './event-serializer';
export * from './undici-axios.adapter';
