#!/usr/bin/env node
/**
 * Link check of the docs: every relative link and `#anchor` in README.md and docs/**\/*.md (docs/api, the generated
 * reference, aside) must point at a file or folder that exists and, for an anchor, at a heading (or an explicit
 * `<a id>`) of that file, slugged the way GitHub slugs headings. External links (`https:`, `mailto:` ...) are not
 * fetched: the check runs without network.
 *
 *   node scripts/check-links.mjs [root]     exits 1 naming every broken link as file:line: target (why)
 *
 * `checkLinks(root)` returns the same list, for the Jest test.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Folders under docs/ that are generated and not checked. */
const GENERATED = new Set(['api']);

/** README.md and every .md file under docs/ (generated folders aside), as paths relative to `root`. */
export function markdownFiles(root) {
  const files = existsSync(join(root, 'README.md')) ? ['README.md'] : [];
  const walk = (dir) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!(dir === 'docs' && GENERATED.has(entry.name))) walk(path);
      } else if (entry.name.endsWith('.md')) files.push(path);
    }
  };
  if (existsSync(join(root, 'docs'))) walk('docs');
  return files;
}

/** Lines of a markdown text with fenced code blocks blanked out (so `# comment` in a bash block is no heading). */
function proseLines(text) {
  let fence = null;
  return text.split('\n').map((line) => {
    const open = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (fence === null && open) {
      fence = open[1];
      return '';
    }
    if (fence !== null) {
      if (open && open[1][0] === fence[0] && open[1].length >= fence.length && line.trim() === open[1]) fence = null;
      return '';
    }
    return line;
  });
}

/** A line with its inline code spans removed (a `[x](y)` inside backticks is no link). */
function withoutCodeSpans(line) {
  return line.replace(/(`+)[\s\S]*?\1/g, '');
}

/** GitHub's anchor for a heading text: markup dropped, lower case, punctuation removed, spaces to hyphens. */
export function slug(heading) {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links and images: their text
    .replace(/<[^>]+>/g, '') // inline HTML tags
    .replace(/[`*]/g, '') // code and emphasis markers (an underscore stays: GitHub keeps it)
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '').replace(/ /g, '-');
}

/** The anchors a markdown file offers: one per heading (repeats get -1, -2, ... as on GitHub) and explicit ids. */
export function anchorsOf(text) {
  const anchors = new Set();
  const seen = new Map();
  for (const line of proseLines(text)) {
    const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      const base = slug(heading[1]);
      const count = seen.get(base) ?? 0;
      seen.set(base, count + 1);
      anchors.add(count === 0 ? base : `${base}-${count}`);
    }
    for (const id of line.matchAll(/<a\s+(?:[^>]*\s)?(?:id|name)="([^"]+)"/g)) anchors.add(id[1]);
  }
  return anchors;
}

/** Every link target of a markdown text with its line number: inline links, images and reference definitions. */
export function linksOf(text) {
  const links = [];
  proseLines(text).forEach((line, index) => {
    const prose = withoutCodeSpans(line);
    for (const match of prose.matchAll(/!?\[(?:[^\][]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g)) {
      links.push({ line: index + 1, target: match[1] });
    }
    const definition = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/.exec(prose);
    if (definition) links.push({ line: index + 1, target: definition[1] });
  });
  return links;
}

/** Broken relative links and anchors under `root`, as `file:line: target (why)`, in file order. */
export function checkLinks(root) {
  const problems = [];
  const anchorCache = new Map();
  const anchors = (file) => {
    if (!anchorCache.has(file)) anchorCache.set(file, anchorsOf(readFileSync(file, 'utf8')));
    return anchorCache.get(file);
  };
  for (const file of markdownFiles(root)) {
    const absolute = join(root, file);
    for (const { line, target } of linksOf(readFileSync(absolute, 'utf8'))) {
      const where = `${file}:${line}: ${target}`;
      if (target === '') {
        problems.push(`${where} (empty link)`);
        continue;
      }
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue; // external: not fetched
      const hash = target.indexOf('#');
      const pathPart = decodeURI(hash === -1 ? target : target.slice(0, hash)).split('?')[0];
      const anchor = hash === -1 ? null : decodeURIComponent(target.slice(hash + 1));
      const destination = pathPart === '' ? absolute : resolve(dirname(absolute), pathPart);
      if (pathPart.startsWith('/')) {
        problems.push(`${where} (absolute path: write it relative to ${file})`);
        continue;
      }
      if (!existsSync(destination)) {
        problems.push(`${where} (no such file: ${relative(root, destination)})`);
        continue;
      }
      if (anchor === null || anchor === '') continue;
      if (statSync(destination).isDirectory() || !destination.endsWith('.md')) {
        problems.push(`${where} (an anchor into ${relative(root, destination)}, which is not a markdown file)`);
      } else if (!anchors(destination).has(anchor)) {
        problems.push(`${where} (no heading in ${relative(root, destination)} has the anchor #${anchor})`);
      }
    }
  }
  return problems;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
  const files = markdownFiles(root);
  const problems = checkLinks(root);
  if (problems.length > 0) {
    console.error(`${problems.length} broken link(s) in ${files.length} markdown file(s):`);
    for (const problem of problems) console.error(`  ${problem}`);
    process.exit(1);
  }
  console.log(`links ok: ${files.length} markdown file(s) under ${root}`);
}
