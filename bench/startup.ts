import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RUNS, ROOT, rows, log, repeat, child, coldRequire } from './common';
import { walletData, type Sandbox } from '../sandbox';

export async function startup(sandbox: Sandbox) {
	log('start-up');
	const files = [
		['Generate node', 'dist/nodes/NanoBananaGenerate/NanoBananaGenerate.node.js'],
		['Wait for Job node', 'dist/nodes/WaitForJob/WaitForJob.node.js'],
		['credential', 'dist/credentials/X402WalletApi.credentials.js'],
	];
	for (const [name, file] of files) {
		rows.push({
			figure: `cold require: ${name}`,
			values: await repeat(RUNS, () => coldRequire(path.join(ROOT, file))),
			unit: 'ms',
			target: { op: '<', value: 50 },
		});
	}
	// What the first payment loads: the bundled signing code (before: @x402/core + @x402/evm + viem, 196 ms).
	rows.push({
		figure: 'cold load of the payment code on first payment (bundled signing, dist/)',
		values: await repeat(RUNS, () =>
			coldRequire(path.join(ROOT, 'dist/nodes/shared/x402/vendor/signing.js')),
		),
		unit: 'ms',
		target: { op: '<', value: 50 },
	});
	rows.push({
		figure: 'first key derivation after that load (secp256k1 tables, once per process)',
		values: await repeat(RUNS, () => {
			const script = `const m=require(${JSON.stringify(path.join(ROOT, 'dist/nodes/shared/x402/vendor/signing.js'))});const t=process.hrtime.bigint();m.accountFromKey('0x'+'ab'.repeat(32));process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6));`;
			return Number(
				execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' }),
			);
		}),
		unit: 'ms',
	});
	const credential = walletData(sandbox, 0);
	const runs = await repeat(RUNS, () =>
		child('first-execution', { endpoint: sandbox.gateway.endpoint, credential }),
	);
	rows.push({
		figure: 'first Generate execution in a fresh process (loads the payment code)',
		values: runs.map((r) => r.firstMs),
		unit: 'ms',
	});
	rows.push({
		figure: 'second Generate execution, same process',
		values: runs.map((r) => r.secondMs),
		unit: 'ms',
	});
}

export function footprint() {
	log('footprint (npm pack + production install)');
	const dir = mkdtempSync(path.join(os.tmpdir(), 'nano-banana-footprint-'));
	try {
		const packed = JSON.parse(
			execFileSync('npm', ['pack', '--json', '--pack-destination', dir], {
				cwd: ROOT,
				encoding: 'utf8',
				stdio: ['ignore', 'pipe', 'ignore'],
			}),
		)[0];
		const install = path.join(dir, 'install');
		mkdirSync(install);
		writeFileSync(path.join(install, 'package.json'), '{"name":"footprint","private":true}');
		// n8n provides n8n-workflow (the peer dependency): leave it out, as inside n8n.
		execFileSync(
			'npm',
			[
				'install',
				'--prefer-offline',
				'--omit=dev',
				'--omit=peer',
				'--legacy-peer-deps',
				'--ignore-scripts',
				'--no-audit',
				'--no-fund',
				path.join(dir, packed.filename),
			],
			{
				cwd: install,
				stdio: 'ignore',
			},
		);
		const modules = path.join(install, 'node_modules');
		let packages = 0;
		const walk = (d: string) => {
			for (const entry of readdirSync(d)) {
				if (entry.startsWith('.')) continue;
				const p = path.join(d, entry);
				if (entry.startsWith('@')) walk(p);
				else if (statSync(p).isDirectory()) {
					packages++;
					const nested = path.join(p, 'node_modules');
					try {
						if (statSync(nested).isDirectory()) walk(nested);
					} catch {
						// no nested node_modules
					}
				}
			}
		};
		walk(modules);
		const kb = Number(execFileSync('du', ['-sk', modules], { encoding: 'utf8' }).split('\t')[0]);
		rows.push({
			figure: 'install footprint: packages (production, with the package itself)',
			values: [packages],
			unit: '',
			target: { op: '<=', value: 1 },
		});
		rows.push({
			figure: 'install footprint: size on disk',
			values: [kb / 1024],
			unit: 'MB',
			target: { op: '<=', value: 100 },
		});
		rows.push({ figure: 'npm pack tarball', values: [packed.size / 1024], unit: 'kB' });
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}
