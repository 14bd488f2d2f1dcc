// `npm run scan`: n8n's community-package scanner (@n8n/scan-community-package, pinned), run
// offline on what n8n verifies: the source it lints from the provenance-attested repository
// (package.json, nodes/ and credentials/) and the JavaScript of the packed tarball.
// Exits non-zero on any error. Run after `npm run build` (the script `npm run scan` does).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzePackage, SOURCE_FILE_PATTERNS } from '@n8n/scan-community-package/scanner/scanner.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const say = (line) => process.stdout.write(`${line}\n`);

const work = mkdtempSync(path.join(os.tmpdir(), 'nano-banana-scan-'));
let failed = false;
try {
	const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').pop();
	const unpacked = path.join(work, 'package');
	mkdirSync(unpacked);
	execFileSync('tar', ['-xzf', path.join(work, tarball), '-C', unpacked, '--strip-components=1']);
	for (const [label, dir, patterns] of [
		['source (package.json, nodes/, credentials/)', ROOT, SOURCE_FILE_PATTERNS],
		[`packed tarball ${tarball} (**/*.js, package.json)`, unpacked, ['**/*.js', 'package.json']],
	]) {
		const result = await analyzePackage(dir, patterns);
		if (result.passed) {
			say(`scan: ${label}: 0 errors`);
		} else {
			failed = true;
			say(`scan: ${label}: FAILED (${result.message})`);
			if (result.details) say(result.details);
		}
	}
} finally {
	rmSync(work, { recursive: true, force: true });
}
say(failed ? 'scan: n8n verification scan failed' : 'scan: passed');
process.exit(failed ? 1 : 0);
