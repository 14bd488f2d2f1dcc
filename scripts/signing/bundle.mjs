// Bundles scripts/signing/entry.ts (viem's account signing) into one CommonJS file that the
// nodes load on the first payment only. The shipped package then has no runtime dependencies,
// as n8n's verification requires. `node scripts/signing/bundle.mjs` writes it into dist/ (npm run
// build does); jest's global setup writes the same bundle for the tests (test/setup/bundle.js).
import { build } from 'esbuild';
import { statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DIST_BUNDLE = path.join(ROOT, 'dist/nodes/shared/x402/vendor/signing.js');

export async function bundleSigning(outfile = DIST_BUNDLE) {
	await build({
		entryPoints: [path.join(ROOT, 'scripts/signing/entry.ts')],
		outfile,
		bundle: true,
		platform: 'node',
		format: 'cjs',
		target: 'node20',
		legalComments: 'inline',
		logLevel: 'warning',
	});
	return { outfile, bytes: statSync(outfile).size };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
	const { outfile, bytes } = await bundleSigning();
	process.stdout.write(
		`signing bundle: ${path.relative(ROOT, outfile)} (${Math.round(bytes / 1024)} kB)\n`,
	);
}
