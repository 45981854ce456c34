#!/usr/bin/env node
// Summarizes V8 .cpuprofile files (from `node bench/run.mjs --profile`, or any `node --cpu-prof`):
// top functions by self time, and self time per package / library file.
//   node bench/profile-summary.mjs bench/results/profiles/ours-postgres-pe64.cpuprofile [--top=30]
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

const args = process.argv.slice(2);
const TOP = Number((args.find((a) => a.startsWith('--top=')) ?? '--top=25').slice(6));
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
    if (pkg === '.cache' && rest[1] === 'webhook-bench-dist') return 'lib/' + rest.slice(2).join('/').replace(/\.js$/, '.ts');
    return precise ? rest.join('/') : pkg;
  }
  const dist = path.indexOf('/dist/');
  if (dist >= 0) return 'lib/' + path.slice(dist + '/dist/'.length).replace(/\.js$/, '.ts');
  return relative(process.cwd(), path);
}

for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
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
}
