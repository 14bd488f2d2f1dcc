/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test'],
	testMatch: ['**/*.test.ts'],
	transform: {
		// Type checking is `npm run typecheck`; jest only transpiles, to CommonJS so that the
		// lazy `import()` of the payment stack becomes a require jest can follow.
		'^.+\\.ts$': [
			'ts-jest',
			{
				tsconfig: {
					isolatedModules: true,
					module: 'commonjs',
					moduleResolution: 'node10',
					target: 'ES2022',
					esModuleInterop: true,
					resolveJsonModule: true,
				},
			},
		],
	},
	globalSetup: '<rootDir>/test/setup/bundle.js',
	setupFiles: ['<rootDir>/test/setup/env.js'],
	// The signing bundle exists in dist/ after a build; the tests use the copy the global setup builds.
	// Lazily loaded modules are imported as './x.js' (ESM rules): jest reads their TypeScript source.
	moduleNameMapper: {
		'^\\./vendor/signing\\.js$': '<rootDir>/.tmp/jest/signing.js',
		'^(\\.{1,2}/.*)\\.js$': '$1',
	},
	testTimeout: 60_000,
	maxWorkers: 2,
};
