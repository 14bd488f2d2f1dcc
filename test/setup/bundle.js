// jest global setup: the tests load the same signing bundle the package ships (built from
// scripts/signing/entry.ts with the same esbuild options), not viem from node_modules.
const path = require('node:path');

module.exports = async () => {
	const { bundleSigning } = await import(path.join(__dirname, '../../scripts/signing/bundle.mjs'));
	await bundleSigning(path.join(__dirname, '../../.tmp/jest/signing.js'));
};
