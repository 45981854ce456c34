import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const ROOT = process.cwd();

/** The peers and dependencies a memory-store app needs: everything but typeorm and @nestjs/typeorm. */
function runtimePackages(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; peerDependencies: Record<string, string>; peerDependenciesMeta: Record<string, { optional?: boolean }> };
  const optional = new Set(Object.keys(pkg.peerDependenciesMeta ?? {}).filter((name) => pkg.peerDependenciesMeta[name].optional));
  return [...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies).filter((name) => !optional.has(name))];
}

/** The optional peers an app on the TypeORM backend installs (the driver is not needed to import the entry point). */
const TYPEORM_PACKAGES = ['typeorm', '@nestjs/typeorm'];

/** The root's runtime values as documented (api/root-exports.json). */
const ROOT_EXPORTS = (JSON.parse(readFileSync(join(ROOT, 'api/root-exports.json'), 'utf8')) as { values: string[] }).values;

/** The OpenTelemetry packages an app that traces brings itself: the API (our optional peer) and an SDK. */
const OTEL_PACKAGES = ['@opentelemetry/api', '@opentelemetry/sdk-trace-base'];

/**
 * The package as a user installs it (`npm pack`), in app folders whose node_modules hold its dependencies and
 * required peers but none of the optional ones (TypeORM, OpenTelemetry, Terminus, @nestjs/schedule); a second folder
 * adds the OpenTelemetry API and SDK.
 */
describe('the packed package in an app without its optional peers', () => {
  let dir: string;
  let otelDir: string;
  let typeormDir: string;

  /** An app folder with the unpacked tarball and links to `packages` in the shared install. */
  function appFolder(tarballDir: string, tarball: string, packages: string[]): string {
    const app = mkdtempSync(join(tmpdir(), 'webhooks-packed-app-'));
    const installed = join(app, 'node_modules', 'nestjs-webhooks');
    mkdirSync(installed, { recursive: true });
    execFileSync('tar', ['-xzf', join(tarballDir, tarball), '-C', installed, '--strip-components=1']);
    // The app's own file, so that `require` resolves from the app folder, as in a user's project.
    copyFileSync(join(ROOT, 'test/package/packed-app.cjs'), join(app, 'app.cjs'));
    for (const file of ['entry-points.mjs', 'entry-points.cjs', 'entry-points-report.cjs']) copyFileSync(join(ROOT, 'test/package', file), join(app, file));
    for (const name of packages) {
      const link = join(app, 'node_modules', name);
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules', name), link, 'dir');
    }
    return app;
  }

  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist/index.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does it in pretest)');
    const packDir = mkdtempSync(join(tmpdir(), 'webhooks-packed-'));
    try {
      const tarball = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', packDir], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').pop()!;
      dir = appFolder(packDir, tarball, runtimePackages());
      otelDir = appFolder(packDir, tarball, [...runtimePackages(), ...OTEL_PACKAGES]);
      typeormDir = appFolder(packDir, tarball, [...runtimePackages(), ...TYPEORM_PACKAGES]);
    } finally {
      rmSync(packDir, { recursive: true, force: true });
    }
  }, 120_000);

  afterAll(() => {
    for (const d of [dir, otelDir, typeormDir]) if (d) rmSync(d, { recursive: true, force: true });
  });

  const run = (mode: string, cwd = dir) => JSON.parse(execFileSync(process.execPath, [join(cwd, 'app.cjs'), mode], { cwd, encoding: 'utf8', env: { ...process.env, NODE_PATH: '' } }).trim().split('\n').pop()!);

  it('ships only dist/ and the typeorm and testing entry points', () => {
    const listed = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
    const files = (JSON.parse(listed) as Array<{ files: Array<{ path: string }> }>)[0].files.map((f) => f.path);
    expect(files.filter((f) => !f.startsWith('dist/') && !['package.json', 'README.md', 'typeorm/package.json', 'testing/package.json'].includes(f))).toEqual([]);
  });

  it('boots and delivers on the memory store without typeorm, @opentelemetry/api, @nestjs/terminus or @nestjs/schedule, and reports healthy', () => {
    const out = run('memory');
    expect(out).toEqual({
      typeormResolvable: false,
      delivery_count: 1,
      received: [true],
      health: 'up',
      typeormLoaded: false,
      optionalPeers: { otel: false, terminus: false, schedule: false },
      otelLoaded: false,
      spans: null,
      jsonschemaLoaded: false,
      ajvLoaded: false,
    });
  }, 60_000);

  it('traces through the app\'s OpenTelemetry SDK when @opentelemetry/api is installed', () => {
    const out = run('otel', otelDir);
    expect(out).toMatchObject({ delivery_count: 1, received: [true], health: 'up', optionalPeers: { otel: true, terminus: false, schedule: false }, otelLoaded: true });
    expect(out.spans).toEqual(['webhook.attempt', 'webhook.dispatch']);
  }, 60_000);

  it('checks an event catalog without class-validator-jsonschema (an optional peer), whose absence describe() explains', () => {
    const out = run('catalog');
    expect(out).toEqual({
      jsonschemaResolvable: false,
      accepted: true,
      refusedClass: { code: 'INVALID_EVENT', paths: ['invoice_id', 'amount'] },
      refusedJson: { code: 'INVALID_EVENT', paths: ['customer_id'] },
      describeError: expect.stringContaining('npm install class-validator-jsonschema'),
      jsonschemaLoaded: false,
      ajvLoaded: true,
    });
  }, 60_000);

  it('with enable_admin, stops at start-up when a class schema needs class-validator-jsonschema for GET /event-types, so that route never fails', () => {
    const out = run('catalog-admin');
    expect(out.jsonschemaResolvable).toBe(false);
    expect(out.withClass.booted).toBe(false);
    expect(out.withClass.error).toMatch(/^invalid webhook config "event_catalog": .*GET \/webhooks\/event-types/);
    expect(out.withClass.error).toMatch(/class-validator schemas \(here of invoice\.paid\) as JSON Schema with the optional package class-validator-jsonschema; it is not installed/);
    expect(out.withClass.error).toMatch(/npm install class-validator-jsonschema/);
    expect(out.jsonOnly).toEqual({ booted: true, described: ['customer.updated'] });
  }, 60_000);

  it("with store_backend 'typeorm', stops at start-up naming the missing packages and the install command", () => {
    const out = run('typeorm');
    expect(out.typeormResolvable).toBe(false);
    expect(out.booted).toBe(false);
    expect(out.error).toMatch(/typeorm and @nestjs\/typeorm/);
    expect(out.error).toMatch(/npm install typeorm @nestjs\/typeorm/);
    expect(out.error).toMatch(/store_backend/);
  }, 60_000);

  describe('entry points', () => {
    /** Runs one of the entry-point apps in the folder with typeorm installed and returns its JSON line. */
    const entryPoints = (file: string) => JSON.parse(execFileSync(process.execPath, [join(typeormDir, file)], { cwd: typeormDir, encoding: 'utf8', env: { ...process.env, NODE_PATH: '' } }).trim().split('\n').pop()!);

    it('the documented list of root values is the one the API report shows, and stays within 60', () => {
      const report = readFileSync(join(ROOT, 'api/nestjs-webhooks.api.md'), 'utf8');
      const reported = [...report.matchAll(/^export (?:declare )?(?:abstract )?(?:class|const|function|let|enum) (\w+)/gm)].map((m) => m[1]);
      expect([...new Set(reported)].sort()).toEqual([...ROOT_EXPORTS].sort());
      expect(ROOT_EXPORTS.length).toBeLessThanOrEqual(60);
    });

    const expected = {
      root: [...ROOT_EXPORTS].sort(),
      typeorm: ['TypeOrmReplayStore', 'WEBHOOK_ENTITIES', 'WEBHOOK_MIGRATIONS', 'WEBHOOK_RECEIVER_ENTITIES', 'WEBHOOK_RECEIVER_MIGRATIONS'],
      testing: ['WebhookTestReceiver', 'checkReplayStore', 'signedWebhookHeaders'],
      kinds: {
        WebhookModule: 'class',
        MemoryReplayStore: 'class',
        verifyWebhook: 'function',
        TypeOrmReplayStore: 'class',
        WEBHOOK_ENTITIES: 'array of 9 classes',
        WEBHOOK_MIGRATIONS: 'array of 7 classes',
        WEBHOOK_RECEIVER_ENTITIES: 'array of 1 classes',
        WEBHOOK_RECEIVER_MIGRATIONS: 'array of 1 classes',
        checkReplayStore: 'function',
        signedWebhookHeaders: 'function',
        WebhookTestReceiver: 'class',
      },
      forRoot: 'function',
      // The receiver answered 503 once as told, then 200; the recorded request verifies with the root's verifyWebhook.
      roundTrip: { statuses: [503, 200], recorded: [503, 200], verified: true, replayContract: 'kept' },
    };

    it('an ES module app imports the root, /typeorm and /testing by name and gets the documented values, which work', () => {
      expect(entryPoints('entry-points.mjs')).toEqual(expected);
    }, 60_000);

    it('a CommonJS app requires the root, /typeorm and /testing and gets the same values', () => {
      expect(entryPoints('entry-points.cjs')).toEqual(expected);
    }, 60_000);
  });
});
