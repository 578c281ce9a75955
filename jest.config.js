/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }],
  },
  testTimeout: 60000,
  // One real Kubernetes control plane for the run (cluster/), shared by the suites that talk to Kubernetes.
  globalSetup: '<rootDir>/test/support/cluster/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/cluster/global-teardown.ts',
};
