/**
 * Jest 30 + swc, CommonJS. middy v7 is ESM-only, so it is transformed and mapped to its entry file.
 * Three layers: unit (pure logic), integration (DynamoDB Local, started by the project's setup),
 * e2e (the whole local stack over HTTP, as `npm start` runs it, one stack per worker); and browser, the web console in
 * chromium against that stack (npm run test:browser, not part of npm test).
 */
const swc = [
  '@swc/jest',
  {
    jsc: { target: 'es2023', parser: { syntax: 'typescript' } },
    module: { type: 'commonjs' },
  },
];

const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)sx?$': swc, '^.+\\.mjs$': swc },
  transformIgnorePatterns: ['/node_modules/(?!@middy/)'],
  moduleNameMapper: { '^@middy/([^/]+)$': '<rootDir>/node_modules/@middy/$1/index.js' },
};

module.exports = {
  testTimeout: 60000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/dynamodb-setup.ts',
      globalTeardown: '<rootDir>/test/support/teardown.ts',
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/stack-setup.ts',
      globalTeardown: '<rootDir>/test/support/teardown.ts',
      setupFiles: ['<rootDir>/test/support/stack-worker.ts'],
    },
    // The web console in Debian's chromium, against the same local stack (npm run test:browser).
    {
      ...common,
      displayName: 'browser',
      testMatch: ['<rootDir>/test/browser/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/stack-setup.ts',
      globalTeardown: '<rootDir>/test/support/teardown.ts',
      setupFiles: ['<rootDir>/test/support/stack-worker.ts'],
    },
  ],
};
