#!/usr/bin/env node
// Summarizes V8 .cpuprofile files (from `node bench/run.mjs --profile`, or any `node --cpu-prof`):
// top functions by self time, and self time per package / library file; for a .heapprofile (--heap-sampling),
// bytes allocated per function and per file.
//   node bench/profile-summary.mjs bench/results/profiles/ours-postgres-pe64.cpuprofile [--top=30]
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

const args = process.argv.slice(2);
const TOP = Number((args.find((a) => a.startsWith('--top=')) ?? '--top=25').slice(6));
// --callers=name[,name]: who calls these functions, with the inclusive time spent in them from each caller.
const CALLERS = (args.find((a) => a.startsWith('--callers=')) ?? '--callers=').slice(10).split(',').filter(Boolean);
const files = args.filter((a) => !a.startsWith('--'));
if (files.length === 0) {
  console.error('usage: node bench/profile-summary.mjs <file.cpuprofile>... [--top=N]');
  process.exit(2);
}

/** Where a frame's code lives, file-precise: lib/<file> for the library build, <package>/<path> in node_modules. */
function fileOf(url) {
  const where = place(url, true);
  return where;
}

/** Where a frame's code lives: lib/<file> for the library build, the package for node_modules, node: for core. */
function place(url, precise = false) {
  if (!url) return '(native/vm)';
  let path = url.replace(/^file:\/\//, '');
  if (path.startsWith('node:')) return path;
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + '/node_modules/'.length).split('/');
    const pkg = rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
    // run.mjs's private copies of dist/: node_modules/.cache/webhook-bench/dist-<pid>/... (base-<pid>: --baseline)
    if (pkg === '.cache' && rest[1] === 'webhook-bench' && (rest[2]?.startsWith('dist-') || rest[2]?.startsWith('base-'))) return 'lib/' + rest.slice(3).join('/').replace(/\.js$/, '.ts');
    return precise ? rest.join('/') : pkg;
  }
  const dist = path.indexOf('/dist/');
  if (dist >= 0) return 'lib/' + path.slice(dist + '/dist/'.length).replace(/\.js$/, '.ts');
  return relative(process.cwd(), path);
}

/** A sampling heap profile (.heapprofile): bytes allocated by function (self), and by library file. */
function heapSummary(file, profile) {
  const byFn = new Map();
  const byArea = new Map();
  let total = 0;
  const walk = (node) => {
    const cf = node.callFrame;
    const bytes = node.selfSize;
    total += bytes;
    const key = `${cf.functionName || '(anonymous)'}  ${fileOf(cf.url)}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;
    byFn.set(key, (byFn.get(key) ?? 0) + bytes);
    const area = place(cf.url);
    byArea.set(area, (byArea.get(area) ?? 0) + bytes);
    for (const c of node.children ?? []) walk(c);
  };
  walk(profile.head);
  const pct = (b) => ((100 * b) / total).toFixed(1).padStart(5) + '%';
  console.log(`\n# ${file}  (${(total / 2 ** 20).toFixed(1)} MB allocated, sampled)`);
  console.log('\n## allocated by package / library file');
  for (const [k, b] of [...byArea].sort((a, b2) => b2[1] - a[1]).slice(0, TOP)) console.log(`${pct(b)} ${(b / 2 ** 20).toFixed(1).padStart(7)} MB  ${k}`);
  console.log('\n## allocated by function (self)');
  for (const [k, b] of [...byFn].sort((a, b2) => b2[1] - a[1]).slice(0, TOP)) console.log(`${pct(b)} ${(b / 2 ** 20).toFixed(1).padStart(7)} MB  ${k}`);
}

for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  if (file.endsWith('.heapprofile')) {
    heapSummary(file, profile);
    continue;
  }
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  // timeDeltas[i] is the time before samples[i].
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fn = new Map();
  const area = new Map();
  for (const [id, us] of self) {
    const n = byId.get(id);
    const cf = n.callFrame;
    const where = place(cf.url);
    const name = cf.functionName || '(anonymous)';
    const key = `${name}  ${fileOf(cf.url)}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
    const bucket = name === '(idle)' ? '(idle)' : name === '(garbage collector)' ? '(garbage collector)' : name === '(program)' ? '(program)' : where;
    area.set(bucket, (area.get(bucket) ?? 0) + us);
  }
  // Inclusive time of library functions (lib/...): a node counts unless an ancestor is the same function.
  const children = new Map(profile.nodes.map((n) => [n.id, n.children ?? []]));
  const totalOf = new Map();
  const sumTotal = (id) => {
    if (totalOf.has(id)) return totalOf.get(id);
    let t = self.get(id) ?? 0;
    for (const c of children.get(id)) t += sumTotal(c);
    totalOf.set(id, t);
    return t;
  };
  const inclusive = new Map();
  const walk = (id, active) => {
    const n = byId.get(id);
    const cf = n.callFrame;
    const where = place(cf.url);
    let next = active;
    if (where.startsWith('lib/')) {
      const key = `${cf.functionName || '(anonymous)'}  ${where}:${cf.lineNumber + 1}`;
      if (!active.has(key)) {
        inclusive.set(key, (inclusive.get(key) ?? 0) + sumTotal(id));
        next = new Set(active).add(key);
      }
    }
    for (const c of children.get(id)) walk(c, next);
  };
  const root = profile.nodes[0].id;
  walk(root, new Set());
  const pct = (us) => ((100 * us) / total).toFixed(1).padStart(5) + '%';
  const ms = (us) => (us / 1000).toFixed(0).padStart(7) + ' ms';
  console.log(`\n# ${file}  (${(total / 1e6).toFixed(1)} s sampled)`);
  console.log('\n## self time by package / library file');
  for (const [k, us] of [...area].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`${pct(us)} ${ms(us)}  ${k}`);
  console.log('\n## top functions by self time');
  for (const [k, us] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`${pct(us)} ${ms(us)}  ${k}`);
  console.log('\n## library functions by inclusive time (self + everything they call)');
  for (const [k, us] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`${pct(us)} ${ms(us)}  ${k}`);
  if (CALLERS.length > 0) {
    const parentOf = new Map();
    for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
    const label = (id) => {
      const cf = byId.get(id).callFrame;
      return `${cf.functionName || '(anonymous)'}  ${fileOf(cf.url)}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;
    };
    for (const name of CALLERS) {
      const from = new Map();
      for (const n of profile.nodes) {
        if (n.callFrame.functionName !== name) continue;
        const parent = parentOf.get(n.id);
        const k = parent === undefined ? '(root)' : label(parent);
        from.set(k, (from.get(k) ?? 0) + sumTotal(n.id));
      }
      console.log(`\n## callers of ${name} (inclusive time under each)`);
      for (const [k, us] of [...from].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`${pct(us)} ${ms(us)}  ${k}`);
    }
  }
}
