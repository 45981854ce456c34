import { createServer, type Server } from 'node:http';
import { verifyWebhook } from '../lib';

/** What the demo receiver saw, printed by the sample. */
export interface DemoDelivery {
  path: string;
  event_type: string;
  verified: string;
}

/**
 * A customer's endpoint, as a customer would write it with this package's `verifyWebhook`: `/ok` verifies the
 * signature and answers 204; `/fail` answers 500 every time (so retries and a dead letter show).
 */
export async function startDemoReceiver(port: number, secrets: () => Map<string, string>, seen: DemoDelivery[]): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = req.url ?? '/';
      const secret = secrets().get(path);
      let verified = 'no secret known';
      if (secret) {
        try {
          verifyWebhook(body, req.headers, secret);
          verified = 'signature ok';
        } catch (err) {
          verified = `signature REJECTED: ${(err as Error).message}`;
        }
      }
      seen.push({ path, event_type: String(req.headers['webhook-event-type']), verified });
      res.writeHead(path === '/fail' ? 500 : 204, path === '/fail' ? { 'content-type': 'text/plain' } : {});
      res.end(path === '/fail' ? 'demo endpoint is down' : undefined);
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return server;
}
