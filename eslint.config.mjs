import { configWithoutCloudSupport } from '@n8n/node-cli/eslint';

// n8n's community-node rules, self-hosted flavour: this package needs runtime
// dependencies (viem, @x402/*) to sign payments, so only that rule is off.
export default [
	{ ignores: ['.tmp/**', 'output/**', 'coverage/**'] },
	...configWithoutCloudSupport,
	{
		rules: {
			'@n8n/community-nodes/no-runtime-dependencies': 'off',
		},
	},
];
