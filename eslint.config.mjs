import { config } from '@n8n/node-cli/eslint';

// n8n's community-node rules with n8n Cloud support: the same rule set n8n's verification
// scanner applies (npm run scan), so what lint passes the scanner passes. The shipped code
// (nodes/, credentials/, package.json) gets all of it. Development-only code (tests, the
// sandbox, the benchmark, build scripts) never ships, so it may use Node's own modules,
// timers and `process`; those two rules alone are off there. The benchmark and the scripts
// and the app harness (e2e, browser test, n8n host, Redis/PostgreSQL, scan) start processes by design — n8n, its
// workers, verdaccio, apt-get, fresh benchmark children — so process spawning is allowed there.
export default [
	{ ignores: ['.tmp/**', 'output/**', 'coverage/**', 'test-results/**'] },
	...config,
	{
		files: ['test/**', 'sandbox/**', 'harness/**', 'bench/**', 'scripts/**', '*.js', '*.mjs'],
		rules: {
			'@n8n/community-nodes/no-restricted-imports': 'off',
			'@n8n/community-nodes/no-restricted-globals': 'off',
		},
	},
	{
		files: ['bench/**', 'scripts/**', 'harness/app/**'],
		rules: { '@n8n/community-nodes/no-dangerous-functions': 'off' },
	},
];
