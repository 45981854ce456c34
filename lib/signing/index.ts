export * from './secret';
export * from './signature';
export * from './verify';
export * from './webhook-signer';
