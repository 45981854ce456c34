// Signing and verifying cost per delivery, HMAC-SHA256 (`v1`) against ed25519 (`v1a`), in one process: `ops`
// deliveries signed by the module's WebhookSigner (the headers of one attempt, keys cached as when sending), then
// verified by verifyWebhook (what a receiver using this package does per request), each timed over `ops` calls
// after a warm-up. Also the receiver's floor for ed25519: node:crypto verify with a KeyObject built once.
import { createPublicKey, verify } from 'node:crypto';
import { EVENT_TYPE, benchPayload, loadInternal, loadLibrary, nowMs, runScenario } from '../lib/common.mjs';

runScenario(async ({ ops = 20_000, warmup = 2_000 }) => {
  const lib = loadLibrary();
  const { WebhookSigner } = loadInternal('signing/webhook-signer.js');
  const { resolveWebhookConfig } = loadInternal('config/index.js');
  const signer = new WebhookSigner(resolveWebhookConfig({}));
  const hmac = lib.generateWebhookSecret();
  const ed = lib.generateEd25519KeyPair();
  const sub = (secret, signature_type) => ({ subscription_id: `sub_${signature_type}`, url: 'https://h.example/', secret, signature_type, headers: {} });
  const kinds = {
    hmac: { sub: sub(hmac, 'hmac-sha256'), key: hmac },
    ed25519: { sub: sub(ed.secret, 'ed25519'), key: ed.public_key },
  };
  // Distinct events, as in a run of deliveries; bodies serialized as dispatch() stores them.
  const bodies = Array.from({ length: 256 }, (_, i) => JSON.stringify({ event_id: `evt_${i}`, event_type: EVENT_TYPE, occurred_at: new Date().toISOString(), source: null, payload: benchPayload(i) }));
  const now = new Date();
  const perOp = (n, fn) => {
    for (let i = 0; i < warmup; i++) fn(i);
    const t0 = nowMs();
    for (let i = 0; i < n; i++) fn(i);
    return +(((nowMs() - t0) * 1000) / n).toFixed(2);
  };
  const result = { ops, body_bytes: Buffer.byteLength(bodies[0]) };
  for (const [name, k] of Object.entries(kinds)) {
    const signed = bodies.map((body, i) => ({ body, headers: signer.headers(k.sub, `evt_${i}`, EVENT_TYPE, body, now) }));
    let failures = 0;
    const sign_us = perOp(ops, (i) => signer.headers(k.sub, `evt_${i & 255}`, EVENT_TYPE, bodies[i & 255], now));
    const verify_us = perOp(ops, (i) => {
      const s = signed[i & 255];
      if (lib.verifyWebhook(s.body, s.headers, k.key, { now }) !== true) failures++;
    });
    result[name] = { sign_us, verify_us, signature_chars: signed[0].headers['webhook-signature'].length, failures };
  }
  // ed25519 with node:crypto alone and a KeyObject made once (what a receiver that caches its key pays).
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(ed.public_key.slice(5), 'base64').toString('base64url') }, format: 'jwk' });
  const raw = bodies.map((body, i) => {
    const h = signer.headers(kinds.ed25519.sub, `evt_${i}`, EVENT_TYPE, body, now);
    return { data: Buffer.from(`evt_${i}.${h['webhook-timestamp']}.${body}`), sig: Buffer.from(h['webhook-signature'].slice(4), 'base64') };
  });
  result.ed25519.node_verify_us = perOp(ops, (i) => {
    const r = raw[i & 255];
    if (!verify(null, r.data, publicKey, r.sig)) throw new Error('node:crypto verify refused a signature');
  });
  result.sign_ratio = +(result.ed25519.sign_us / result.hmac.sign_us).toFixed(1);
  result.verify_ratio = +(result.ed25519.verify_us / result.hmac.verify_us).toFixed(1);
  return result;
});
