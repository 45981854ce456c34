import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Issue 19 (docs): the README and the guides under docs/ link to each other by relative paths and #anchors. This
 * runs the link check that CI runs (`npm run docs:check-links`), so `npm test` fails on a broken link too, and shows
 * on a small tree of files that the check finds each kind of broken link and passes what is not one.
 */

// Jest runs from the repository root (the other suites find their files the same way).
const ROOT = process.cwd();
const SCRIPT = join(ROOT, 'scripts/check-links.mjs');

interface LinkCheck {
  checkLinks(root: string): string[];
  markdownFiles(root: string): string[];
}

let check: LinkCheck;
let fixture: string;

function write(path: string, text: string): void {
  mkdirSync(dirname(join(fixture, path)), { recursive: true });
  writeFileSync(join(fixture, path), text);
}

beforeAll(async () => {
  check = (await import(SCRIPT)) as LinkCheck;
  fixture = mkdtempSync(join(tmpdir(), 'webhooks-links-'));
  write(
    'README.md',
    [
      '# Title',
      '',
      'Good: [guide](docs/guide.md), [its section](docs/guide.md#the-secret_key-option-deprecated),',
      '[the second Setup](docs/guide.md#setup-1), [a folder](docs/), [here](#title), [explicit](docs/guide.md#custom-id),',
      '[external](https://example.com/missing), [mail](mailto:someone@example.com), ![logo](docs/logo.svg).',
      'Not links: `[code](missing.md)` and',
      '```md',
      '[fenced](missing-too.md)',
      '# fenced heading',
      '```',
      'Broken: [no file](docs/missing.md), [no heading](docs/guide.md#nowhere), [no local heading](#fenced-heading),',
      '[anchor into a non-markdown file](docs/logo.svg#part)',
      '',
      '[ref]: docs/gone.md',
    ].join('\n'),
  );
  write(
    'docs/guide.md',
    ['# Guide', '## The `secret_key` option (deprecated)', '## Setup', '## Setup', '<a id="custom-id"></a>', '[up](../README.md#title) [bad up](../README.md#guide)'].join('\n'),
  );
  write('docs/logo.svg', '<svg/>');
  write('docs/api/index.md', '[generated, not checked](nowhere.md)');
});

afterAll(() => {
  rmSync(fixture, { recursive: true, force: true });
});

describe('docs link check', () => {
  it("finds no broken link in the repository's README.md and docs/", () => {
    const files = check.markdownFiles(ROOT);
    expect(files).toContain('README.md');
    expect(files).toContain('docs/README.md');
    expect(files.some((file) => file.startsWith('docs/api/'))).toBe(false);
    expect(check.checkLinks(ROOT)).toEqual([]);
  });

  it('names every broken relative link and anchor, and passes external links, code and generated files', () => {
    expect(check.markdownFiles(fixture)).toEqual(['README.md', 'docs/guide.md']);
    expect(check.checkLinks(fixture)).toEqual([
      'README.md:11: docs/missing.md (no such file: docs/missing.md)',
      'README.md:11: docs/guide.md#nowhere (no heading in docs/guide.md has the anchor #nowhere)',
      'README.md:11: #fenced-heading (no heading in README.md has the anchor #fenced-heading)',
      'README.md:12: docs/logo.svg#part (an anchor into docs/logo.svg, which is not a markdown file)',
      'README.md:14: docs/gone.md (no such file: docs/gone.md)',
      'docs/guide.md:6: ../README.md#guide (no heading in README.md has the anchor #guide)',
    ]);
  });

  it('exits 1 from the command line, naming each broken link, and 0 on the repository', () => {
    const broken = spawnSync(process.execPath, [SCRIPT, fixture], { encoding: 'utf8' });
    expect(broken.status).toBe(1);
    expect(broken.stderr).toContain('6 broken link(s) in 2 markdown file(s)');
    expect(broken.stderr).toContain('README.md:11: docs/missing.md (no such file: docs/missing.md)');
    const clean = spawnSync(process.execPath, [SCRIPT, ROOT], { encoding: 'utf8' });
    expect(clean.stderr).toBe('');
    expect(clean.status).toBe(0);
  });
});
