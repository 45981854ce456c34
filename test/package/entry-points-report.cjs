// What an app got from the three entry points (shared by entry-points.mjs and entry-points.cjs): the names each
// exports, what kind of value each named one is, and one round trip through the /testing helpers and the root's
// verifyWebhook and MemoryReplayStore, so the values are the working ones and not just defined.

/** Runtime names of a module namespace or exports object, without the interop keys. */
const namesOf = (m) => Object.keys(m).filter((k) => k !== 'default' && k !== '__esModule' && k !== 'module.exports').sort();

/** `class`, `function`, `array of N classes`, or the typeof of anything else. */
function kindOf(value) {
  if (Array.isArray(value)) return `array of ${value.length} ${value.every((v) => typeof v === 'function' && /^class\b/.test(Function.prototype.toString.call(v))) ? 'classes' : 'values'}`;
  if (typeof value === 'function') return /^class\b/.test(Function.prototype.toString.call(value)) ? 'class' : 'function';
  return typeof value;
}

async function describeEntryPoints({ root, typeorm, testing, named }) {
  const receiver = await testing.WebhookTestReceiver.start();
  let roundTrip;
  try {
    const secret = 'whsec_' + Buffer.from('entry-points-test-secret-32bytes').toString('base64');
    const body = JSON.stringify({ event_type: 'entry.checked' });
    receiver.fail('/hook', 1, 503);
    const headers = { 'content-type': 'application/json', ...testing.signedWebhookHeaders({ secret, body }) };
    const first = await fetch(receiver.url('/hook'), { method: 'POST', headers, body });
    const second = await fetch(receiver.url('/hook'), { method: 'POST', headers, body });
    const recorded = await receiver.waitForRequests(2, { path: '/hook' });
    roundTrip = {
      statuses: [first.status, second.status],
      recorded: recorded.map((r) => r.status),
      verified: root.verifyWebhook(recorded[1].body, recorded[1].headers, secret),
    };
    await testing.checkReplayStore(new root.MemoryReplayStore());
    roundTrip.replayContract = 'kept';
  } finally {
    await receiver.close();
  }
  return {
    root: namesOf(root),
    typeorm: namesOf(typeorm),
    testing: namesOf(testing),
    kinds: Object.fromEntries(Object.entries(named).map(([name, value]) => [name, kindOf(value)])),
    forRoot: typeof root.WebhookModule.forRoot({}).module,
    roundTrip,
  };
}

module.exports = { describeEntryPoints };
