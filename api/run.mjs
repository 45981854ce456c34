// The API report of each entry point (root, /typeorm, /testing), made by api-extractor from the built .d.ts files.
//   node api/run.mjs check   fails when a built surface differs from its checked-in report (npm run api:check)
//   node api/run.mjs update  rewrites the reports (npm run api:update); commit them with the change of surface
// Both fail on an exported symbol without a TSDoc comment (ae-undocumented is an error in api-extractor.base.json).
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const API_DIR = dirname(fileURLToPath(import.meta.url));
const ENTRY_POINTS = ['root', 'typeorm', 'testing'];

const mode = process.argv[2];
if (mode !== 'check' && mode !== 'update') {
  console.error('usage: node api/run.mjs check|update');
  process.exit(2);
}
if (!existsSync(join(API_DIR, '..', 'dist', 'index.d.ts'))) {
  console.error('dist/ is missing: run `npm run build` first (npm run api:check does)');
  process.exit(2);
}

const failures = [];
for (const name of ENTRY_POINTS) {
  const config = ExtractorConfig.loadFileAndPrepare(join(API_DIR, `api-extractor.${name}.json`));
  const result = Extractor.invoke(config, { localBuild: mode === 'update', showVerboseMessages: false });
  if (result.apiReportChanged && mode === 'check') {
    failures.push(`${name}: the built surface differs from ${config.reportFilePath.replace(/.*\/api\//, 'api/')}; if the change is intended, run \`npm run api:update\` and commit the report with it`);
  } else if (!result.succeeded) {
    failures.push(`${name}: ${result.errorCount} error(s) above (an exported symbol without a TSDoc comment is one)`);
  }
}
if (failures.length > 0) {
  console.error(`\nAPI report ${mode} failed:\n- ${failures.join('\n- ')}`);
  process.exit(1);
}
console.log(`API report ${mode}: ${ENTRY_POINTS.join(', ')} ${mode === 'check' ? 'match their reports' : 'reports written'}`);
