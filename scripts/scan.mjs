// `npm run scan`: n8n's community-package scanner (@n8n/scan-community-package, pinned), run
// offline on what n8n verifies: the source it lints from the provenance-attested repository
// (package.json, nodes/ and credentials/) and the JavaScript of the packed tarball.
// Exits non-zero on any error. Run after `npm run build` (the script `npm run scan` does).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
	analyzePackage,
	SOURCE_FILE_PATTERNS,
} from '@n8n/scan-community-package/scanner/scanner.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const say = (line) => process.stdout.write(`${line}\n`);

const work = mkdtempSync(path.join(os.tmpdir(), 'nano-banana-scan-'));
let failed = false;
try {
	const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', work], {
		cwd: ROOT,
		encoding: 'utf8',
	})
		.trim()
		.split('\n')
		.pop();
	const unpacked = path.join(work, 'package');
	mkdirSync(unpacked);
	execFileSync('tar', ['-xzf', path.join(work, tarball), '-C', unpacked, '--strip-components=1']);
	// Installed as n8n installs a community package (n8n provides the peer n8n-workflow): nothing but the package.
	const install = path.join(work, 'install');
	mkdirSync(install);
	writeFileSync(path.join(install, 'package.json'), '{"name":"scan-install","private":true}');
	execFileSync(
		'npm',
		[
			'install',
			'--omit=dev',
			'--omit=peer',
			'--legacy-peer-deps',
			'--ignore-scripts',
			'--no-audit',
			'--no-fund',
			'--offline',
			path.join(work, tarball),
		],
		{ cwd: install, stdio: 'ignore' },
	);
	// npm ls exits 1 for the peer n8n-workflow, missing outside n8n: read its JSON all the same.
	const listed = spawnSync('npm', ['ls', '--omit=dev', '--all', '--json'], {
		cwd: install,
		encoding: 'utf8',
	});
	const tree = JSON.parse(listed.stdout);
	const installed = Object.keys(tree.dependencies ?? {});
	// The peer n8n-workflow is listed as missing (n8n brings it): not installed, not counted.
	const nested = Object.values(tree.dependencies ?? {}).flatMap((d) =>
		Object.entries(d.dependencies ?? {})
			.filter(([, dep]) => !dep.missing)
			.map(([name]) => name),
	);
	if (installed.join() === 'n8n-nodes-nano-banana' && nested.length === 0) {
		say(
			'scan: npm ls --omit=dev --all of a fresh install of the tarball: n8n-nodes-nano-banana only',
		);
	} else {
		failed = true;
		say(
			`scan: a fresh install of the tarball brings more than the package: ${[...installed, ...nested].join(', ')}`,
		);
	}
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
