import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

/** An ed25519 key pair in the Standard Webhooks text forms, made with node:crypto alone. */
export interface TestEd25519Pair {
  /** `whsk_` + base64 of seed then public key (64 bytes), as Svix writes it. */
  secret: string;
  /** `whpk_` + base64 of the 32-byte public key. */
  public_key: string;
  /** The raw public key bytes. */
  raw_public: Buffer;
  privateKey: KeyObject;
}

export function ed25519Pair(): TestEd25519Pair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  // The raw keys follow fixed DER headers: 16 bytes (PKCS#8) and 12 bytes (SPKI).
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(16);
  const raw_public = publicKey.export({ format: 'der', type: 'spki' }).subarray(12);
  return { secret: 'whsk_' + Buffer.concat([seed, raw_public]).toString('base64'), public_key: 'whpk_' + raw_public.toString('base64'), raw_public, privateKey };
}

/** A Standard Webhooks `v1a` signature: `v1a,<base64 ed25519 signature over id.timestamp.body>`. */
export function signV1a(pair: TestEd25519Pair, id: string, timestamp: number, body: string): string {
  return 'v1a,' + sign(null, Buffer.from(`${id}.${timestamp}.${body}`), pair.privateKey).toString('base64');
}
