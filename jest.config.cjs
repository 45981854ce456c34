/** Jest runs in ESM mode because NestJS 12 packages are ESM-only (see STACK.md). */
module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.spec.ts', '<rootDir>/test/**/*.e2e-spec.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleFileExtensions: ['ts', 'js', 'json', 'cjs', 'mjs'],
  // lib/ imports lazily loaded files as './x.js' (what Node needs in the CommonJS build); here they are the .ts sources.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.spec.json', useESM: true, diagnostics: { warnOnly: false } }],
  },
  testTimeout: 30000,
};
