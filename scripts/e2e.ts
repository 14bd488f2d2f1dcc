/* eslint-disable @n8n/community-nodes/no-dangerous-functions -- dev-only end-to-end test, never shipped in dist/: it installs and runs the real n8n app */
/**
 * `npm run test:e2e`: this package inside the real n8n app (n8n@2.41.1 on Node 24).
 *
 * Installs n8n into a cache outside the repository (once), starts the sandbox,
 * installs this package into n8n's community-nodes folder exactly as n8n's own
 * installer does (npm pack, unpack, drop dev/peer dependencies, npm install
 * --ignore-scripts), imports a credential and the example workflows with n8n's
 * CLI, executes them, and checks: success, image binary with the right mime type,
 * one on-chain transfer per image, and a dry run that moves nothing.
 *
 * Not N8N_CUSTOM_EXTENSIONS: n8n gives credentials loaded from a custom directory
 * no supported nodes, so a `restrictToSupportedNodes` credential (ours) would be
 * refused to every node there. Installed packages get the full check.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pointAtGateway, startSandbox, type Sandbox } from '../sandbox';

const N8N_VERSION = '2.41.1';
const CACHE = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'n8n-nodes-nano-banana');
const ARCH = process.arch === 'arm64' ? 'arm64' : 'x64';
const NODE24_DIR = path.join(CACHE, `node24-linux-${ARCH}`);
const N8N_DIR = path.join(CACHE, `n8n-${N8N_VERSION}`);
const ROOT = path.resolve('.');

const say = (line: string) => process.stdout.write(`e2e: ${line}\n`);

function run(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; quiet?: boolean } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
	return new Promise((resolve, reject) => {
		const child = spawn(cmd, args, { cwd: options.cwd ?? ROOT, env: options.env ?? process.env });
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
		child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
		child.on('error', reject);
		child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
	});
}

async function must(cmd: string, args: string[], options: Parameters<typeof run>[2] = {}) {
	const result = await run(cmd, args, options);
	if (result.code !== 0) throw new Error(`${path.basename(cmd)} ${args.join(' ')} failed (${result.code}):\n${result.stderr.slice(-3000)}\n${result.stdout.slice(-2000)}`);
	return result;
}

/** Node 24: this process if it is Node 24+, else the copy .ci/run caches (fetched from the npm registry if missing). */
async function node24(): Promise<{ node: string; root: string }> {
	if (Number(process.versions.node.split('.')[0]) >= 24) return { node: process.execPath, root: path.resolve(path.dirname(process.execPath), '..') };
	const root = path.join(NODE24_DIR, 'node_modules', `node-linux-${ARCH}`);
	if (!existsSync(path.join(root, 'bin', 'node'))) {
		say('fetching Node 24 from the npm registry');
		await must('npm', ['install', '--prefix', NODE24_DIR, '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', `node-linux-${ARCH}@24`]);
	}
	return { node: path.join(root, 'bin', 'node'), root };
}

/**
 * The node-gyp that ships with npm: the npm running this script (npm_execpath), else the
 * machine's global npm. (The registry's Node 24 tarball carries no npm of its own.)
 */
async function nodeGyp(): Promise<string> {
	const candidates: string[] = [];
	if (process.env.npm_execpath) candidates.push(path.resolve(path.dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
	const globalRoot = await run('npm', ['root', '-g']);
	if (globalRoot.code === 0) candidates.push(path.join(globalRoot.stdout.trim(), 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
	const found = candidates.find((candidate) => existsSync(candidate));
	if (!found) throw new Error(`node-gyp not found (looked in ${candidates.join(', ')})`);
	return found;
}

/** n8n itself, installed once into the cache (install scripts off, then sqlite3 built against Node 24). */
async function installN8n(node: { node: string; root: string }) {
	const marker = path.join(N8N_DIR, '.ready');
	if (existsSync(marker)) return;
	say(`installing n8n@${N8N_VERSION} into ${N8N_DIR} (first run only; a few minutes)`);
	mkdirSync(N8N_DIR, { recursive: true });
	writeFileSync(path.join(N8N_DIR, 'package.json'), '{"name":"n8n-e2e-host","private":true}');
	const env = { ...process.env, PATH: `${path.join(node.root, 'bin')}${path.delimiter}${process.env.PATH}` };
	await must('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--omit=dev', `n8n@${N8N_VERSION}`], { cwd: N8N_DIR, env });
	const sqlite = path.join(N8N_DIR, 'node_modules', 'sqlite3');
	if (existsSync(sqlite)) {
		say('building sqlite3 against Node 24');
		await must(node.node, [await nodeGyp(), 'rebuild', '--release'], { cwd: sqlite, env: { ...env, npm_config_nodedir: node.root } });
	}
	writeFileSync(marker, new Date().toISOString());
}

/** This package into <user folder>/.n8n/nodes, the way n8n's community-package installer puts it there. */
async function installPackage(home: string, env: NodeJS.ProcessEnv) {
	say('installing the packed package into n8n\'s community-nodes folder');
	const nodesDir = path.join(home, '.n8n', 'nodes');
	const target = path.join(nodesDir, 'node_modules', 'n8n-nodes-nano-banana');
	mkdirSync(target, { recursive: true });
	const packed = JSON.parse((await must('npm', ['pack', '--json', '--pack-destination', nodesDir], { env })).stdout)[0].filename as string;
	await must('tar', ['-xzf', path.join(nodesDir, packed), '-C', target, '--strip-components=1']);
	rmSync(path.join(nodesDir, packed));
	const manifest = JSON.parse(readFileSync(path.join(target, 'package.json'), 'utf8'));
	delete manifest.devDependencies;
	delete manifest.peerDependencies;
	delete manifest.optionalDependencies;
	writeFileSync(path.join(target, 'package.json'), JSON.stringify(manifest, null, 2));
	await must('npm', ['install', '--audit=false', '--fund=false', '--bin-links=false', '--install-strategy=shallow', '--ignore-scripts=true', '--package-lock=false'], { cwd: target, env });
	writeFileSync(path.join(nodesDir, 'package.json'), JSON.stringify({ name: 'installed-nodes', private: true, dependencies: { 'n8n-nodes-nano-banana': manifest.version } }, null, 2));
}

interface Check {
	name: string;
	ok: boolean;
	detail?: string;
}

async function main() {
	const checks: Check[] = [];
	const check = (name: string, ok: boolean, detail?: string) => {
		checks.push({ name, ok, detail });
		say(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail && !ok ? `: ${detail}` : ''}`);
	};
	if (!existsSync(path.join(ROOT, 'dist/nodes/NanoBananaGenerate/NanoBananaGenerate.node.js'))) throw new Error('run `npm run build` first (npm run test:e2e does)');
	const node = await node24();
	await installN8n(node);

	const sandbox: Sandbox = await startSandbox({ chain: { payers: 1 }, gateway: { jobDurationMs: 1_000 } });
	const home = mkdtempSync(path.join(os.tmpdir(), 'n8n-e2e-'));
	try {
		const env: NodeJS.ProcessEnv = {
			...process.env,
			PATH: `${path.join(node.root, 'bin')}${path.delimiter}${process.env.PATH}`,
			N8N_USER_FOLDER: home,
			N8N_ENCRYPTION_KEY: randomBytes(24).toString('hex'),
			N8N_DIAGNOSTICS_ENABLED: 'false',
			N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
			N8N_TEMPLATES_ENABLED: 'false',
			N8N_PERSONALIZATION_ENABLED: 'false',
			// `n8n execute` prints its result through the info logger: keep the default level.
			N8N_LOG_LEVEL: 'info',
			DB_SQLITE_POOL_SIZE: '1',
		};
		const n8n = (args: string[]) => run(node.node, [path.join(N8N_DIR, 'node_modules', 'n8n', 'bin', 'n8n'), ...args], { env, cwd: home });

		await installPackage(home, env);

		const credential = [
			{
				id: 'x402WalletExample',
				name: 'x402 Wallet (Base)',
				type: 'x402WalletApi',
				data: { privateKey: sandbox.payers[0].key, network: 'base', maxPaymentUsdc: 0.1, rpcUrl: sandbox.chain.rpcUrl },
			},
		];
		const credentialFile = path.join(home, 'credentials.json');
		writeFileSync(credentialFile, JSON.stringify(credential));
		const imported = await n8n(['import:credentials', `--input=${credentialFile}`]);
		rmSync(credentialFile);
		check('n8n imports the x402 Wallet credential', imported.code === 0, imported.stderr.slice(-500));

		const workflows = [
			{ file: 'single-image', id: 'NanoBananaE2E001', images: 1 },
			{ file: 'batch', id: 'NanoBananaE2E002', images: 4 },
			{ file: 'price-check', id: 'NanoBananaE2E003', images: 0 },
		];
		for (const wf of workflows) {
			const json = JSON.parse(readFileSync(path.join(ROOT, 'examples', `${wf.file}.json`), 'utf8'));
			json.id = wf.id;
			json.active = false;
			pointAtGateway(json, sandbox.gateway);
			const file = path.join(home, `${wf.file}.json`);
			writeFileSync(file, JSON.stringify(json));
			const result = await n8n(['import:workflow', `--input=${file}`]);
			check(`n8n imports examples/${wf.file}.json`, result.code === 0, result.stderr.slice(-500));
		}

		for (const wf of workflows) {
			const transfersBefore = (await sandbox.chain.transfers()).length;
			const started = Date.now();
			const result = await n8n(['execute', `--id=${wf.id}`, '--rawOutput']);
			if (process.env.E2E_KEEP) writeFileSync(path.join(home, `${wf.file}.out`), `${result.code}\n---stdout---\n${result.stdout}\n---stderr---\n${result.stderr}`);
			const transfers = (await sandbox.chain.transfers()).length - transfersBefore;
			// The result is printed as indented JSON: it starts at a line that is just "{".
			const start = result.stdout.search(/^\{$/m);
			let data: { data?: { resultData?: { error?: { message?: string }; runData?: Record<string, Array<{ data?: { main?: Array<Array<{ json: Record<string, unknown>; binary?: Record<string, { mimeType?: string }> }>> } }>> } } } | undefined;
			try {
				data = start >= 0 ? JSON.parse(result.stdout.slice(start)) : undefined;
			} catch {
				data = undefined;
			}
			const runData = data?.data?.resultData?.runData ?? {};
			const error = data?.data?.resultData?.error?.message;
			check(`${wf.file}: n8n execute succeeds (${Math.round((Date.now() - started) / 1000)} s)`, result.code === 0 && !!data && !error, `${error ?? ''}\n${result.stderr.slice(-1500)}\n${result.stdout.slice(0, 1500)}`);
			if (wf.images > 0) {
				const images = runData['Wait for Job']?.[0]?.data?.main?.[0] ?? [];
				check(`${wf.file}: ${wf.images} image(s) as binary with mime type image/png`, images.length === wf.images && images.every((i) => i.binary?.data?.mimeType === 'image/png'), JSON.stringify(images.map((i) => i.json)).slice(0, 500));
				check(`${wf.file}: one on-chain USDC transfer per image`, transfers === wf.images, `${transfers} transfers`);
			} else {
				const [item] = runData['Nano-Banana Generate']?.[0]?.data?.main?.[0] ?? [];
				check(`${wf.file}: dry run returns the quote and moves nothing`, item?.json?.dryRun === true && (item.json.quote as Record<string, unknown>)?.priceUsdc === '0.0527' && transfers === 0, String(JSON.stringify(item?.json)).slice(0, 500));
			}
			const text = `${result.stdout}\n${result.stderr}`.toLowerCase();
			check(`${wf.file}: the private key appears nowhere in n8n's output`, !text.includes(sandbox.payers[0].key.slice(2).toLowerCase()));
		}
	} finally {
		await sandbox.close();
		if (process.env.E2E_KEEP) say(`kept ${home}`);
		else rmSync(home, { recursive: true, force: true });
	}
	const failed = checks.filter((c) => !c.ok).length;
	process.stdout.write(`e2e: ${checks.length - failed} passed, ${failed} failed\n`);
	if (failed) process.exit(1);
}

main().catch((error: Error) => {
	process.stderr.write(`e2e failed: ${error.stack ?? error.message}\n`);
	process.exit(1);
});
