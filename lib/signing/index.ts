export { ed25519PublicKey, generateEd25519KeyPair, PUBLIC_KEY_PREFIX, signEd25519StandardWebhooks, SIGNING_KEY_PREFIX, type Ed25519KeyPair } from './ed25519';
export * from './secret';
export * from './signature';
export { DEFAULT_TOLERANCE_SECONDS, verifyWebhook, type VerifyWebhookOptions } from './verify';
export * from './webhook-signer';
