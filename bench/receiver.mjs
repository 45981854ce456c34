// The webhook receiver of the bench: a minimal keep-alive node:http server on 127.0.0.1, in its own process.
// It reads each request body, counts it and answers 200 "ok" (after `delay_ms` when set). A second port
// answers control calls (never on the measured connections):
//   GET  /stats     { count, bytes, in_flight, max_in_flight, connections, max_connections, first_at, last_at }   (times: CLOCK_MONOTONIC ms)
//   POST /reset     { delay_ms, record }  zeroes counters; record keeps [webhook-id, arrival ms] per request
//   GET  /arrivals  [[id, ms], ...]      GET /sample  { headers, body } of the first request since reset
// Started by run.mjs with fork(); prints nothing; sends { type: 'ready', port, control } over IPC, exits when
// its parent disconnects or sends 'exit'.
import { createServer } from 'node:http';

const MAX_ARRIVALS = 2_000_000;
const now = () => Number(process.hrtime.bigint()) / 1e6;

let count = 0;
let bytes = 0;
let inFlight = 0;
let maxInFlight = 0;
let firstAt = null;
let lastAt = null;
let delayMs = 0;
let record = false;
let arrivals = [];
let sample = null;
let connections = 0;
let maxConnections = 0;

const OK = Buffer.from('ok');
const OK_HEADERS = { 'content-type': 'text/plain', 'content-length': String(OK.length) };

const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 60_000 }, (req, res) => {
  const arrived = now();
  if (firstAt === null) firstAt = arrived;
  inFlight++;
  if (inFlight > maxInFlight) maxInFlight = inFlight;
  if (record && arrivals.length < MAX_ARRIVALS) arrivals.push([req.headers['webhook-id'] ?? null, arrived]);
  const keep = sample === null;
  const chunks = keep ? [] : null;
  req.on('data', (c) => {
    bytes += c.length;
    if (keep) chunks.push(c);
  });
  req.on('end', () => {
    if (keep && sample === null) sample = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
    const answer = () => {
      count++;
      inFlight--;
      lastAt = now();
      res.writeHead(200, OK_HEADERS);
      res.end(OK);
    };
    if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  });
});
server.on('connection', (socket) => {
  connections++;
  if (connections > maxConnections) maxConnections = connections;
  socket.on('close', () => connections--);
});
server.maxRequestsPerSocket = 0;
server.maxHeadersCount = 100;

const control = createServer((req, res) => {
  const reply = (value) => {
    const body = JSON.stringify(value);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' });
    res.end(body);
  };
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/stats') return reply({ count, bytes, in_flight: inFlight, max_in_flight: maxInFlight, connections, max_connections: maxConnections, first_at: firstAt, last_at: lastAt });
    if (req.method === 'POST' && path === '/reset') {
      const opts = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
      count = 0;
      bytes = 0;
      maxInFlight = inFlight;
      maxConnections = connections;
      firstAt = null;
      lastAt = null;
      delayMs = Number(opts.delay_ms ?? 0);
      record = Boolean(opts.record);
      arrivals = [];
      sample = null;
      return reply({ ok: true });
    }
    if (req.method === 'GET' && path === '/arrivals') return reply(arrivals);
    if (req.method === 'GET' && path === '/sample') return reply(sample);
    res.writeHead(404, { connection: 'close' });
    res.end();
  });
});

function shutdown() {
  server.closeAllConnections?.();
  server.close();
  control.closeAllConnections?.();
  control.close();
  setTimeout(() => process.exit(0), 200).unref();
}

process.on('disconnect', shutdown);
process.on('message', (msg) => {
  if (msg === 'exit' || msg?.type === 'exit') shutdown();
});
process.on('SIGTERM', shutdown);

server.listen(0, '127.0.0.1', () => {
  control.listen(0, '127.0.0.1', () => {
    const msg = { type: 'ready', port: server.address().port, control: control.address().port, pid: process.pid };
    if (process.send) process.send(msg);
    else console.log(JSON.stringify(msg));
  });
});
