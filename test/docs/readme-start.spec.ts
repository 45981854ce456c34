import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

/**
 * Issue 19 (docs): the README's five-minute start is the first code a user copies, so it must compile against
 * what the package root exports. Each ```ts block of that section names its file on its first line
 * (`// billing.ts`); the blocks are written to those files, `nestjs-webhooks` is mapped to lib/index.ts, and the
 * TypeScript compiler type-checks them with the project's compiler options. A renamed or dropped export, or a
 * changed signature, fails this test until the README follows.
 */

const ROOT = process.cwd();
// Under test/artifacts (git-ignored), so that the snippets resolve @nestjs/* from the project's node_modules.
const DIR = join(ROOT, 'test', 'artifacts', 'readme-start');

/** The ```ts blocks of the README section `heading`, in order. */
function codeBlocks(markdown: string, heading: string): string[] {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start === -1) throw new Error(`README.md has no "## ${heading}" section`);
  const end = markdown.indexOf('\n## ', start + 1);
  const section = markdown.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1]);
}

afterAll(() => {
  rmSync(DIR, { recursive: true, force: true });
});

describe("README's five-minute start", () => {
  it('compiles against the package root, file by file as the README names them', () => {
    const blocks = codeBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'), 'Five-minute start');
    const names = blocks.map((block) => /^\/\/ ([\w.-]+\.ts)\b/.exec(block)?.[1]);
    expect(names).toEqual(['app.module.ts', 'billing.ts', 'receiver.ts']);

    rmSync(DIR, { recursive: true, force: true });
    mkdirSync(DIR, { recursive: true });
    const files = blocks.map((block, i) => {
      const file = join(DIR, names[i]!);
      writeFileSync(file, block);
      return file;
    });

    const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
    if (!config) throw new Error('tsconfig.json could not be read');
    const options: ts.CompilerOptions = {
      ...config.options,
      noEmit: true,
      rootDir: undefined,
      types: ['node'],
      paths: { 'nestjs-webhooks': [join(ROOT, 'lib', 'index.ts')] },
    };
    const program = ts.createProgram(files, options);
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((diagnostic) => diagnostic.file === undefined || diagnostic.file.fileName.startsWith(DIR))
      .map((diagnostic) => {
        const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
        if (!diagnostic.file || diagnostic.start === undefined) return text;
        const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
        return `${diagnostic.file.fileName.slice(DIR.length + 1)}:${line + 1}: ${text}`;
      });
    expect(problems).toEqual([]);
  }, 300_000);
});
