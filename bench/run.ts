/**
 * `npm run bench`: what users pay in time, requests and memory, measured on the
 * real nodes (built, in dist/) in n8n's engine against the real sandbox.
 * Prints a markdown table: figure, median of several runs, min–max, target.
 * Misses are printed as misses; the exit code is non-zero only if the benchmark itself failed.
 *
 *   npm run bench              full run (a few minutes)
 *   npm run bench -- --quick   one run of each, under a minute
 */
import { execFileSync, spawn } from 'node:child_process';
import {
	mkdirSync,
	mkdtempSync,
	readdirSync,
	readFileSync,
	rmSync,
	statSync,
	writeFileSync,
} from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { startSandbox, walletData, type Sandbox } from '../sandbox';
import { readBody } from '../sandbox/body';
import { startHostile } from '../sandbox/hostile';
import {
	connectInLine,
	distClasses,
	ENGINE_AGENT_TYPE,
	GENERATE_TOOL_TYPE,
	GENERATE_TYPE,
	ITEMS_TYPE,
	node,
	runWorkflow,
	TRIGGER_TYPE,
	WAIT_TYPE,
} from '../harness/engine';

const quick = process.argv.includes('--quick');
const RUNS = quick ? 1 : 3;
const ROOT = path.resolve('.');
const OUT = path.join(ROOT, '.tmp', 'bench');

interface Row {
	figure: string;
	values: number[];
	unit: string;
	target?: { op: '<' | '<=' | '>='; value: number };
	note?: string;
}
const rows: Row[] = [];

const began = performance.now();
function log(message: string) {
	process.stderr.write(
		`bench: [${((performance.now() - began) / 1000).toFixed(1)} s] ${message}\n`,
	);
}

function median(values: number[]) {
	const sorted = [...values].sort((a, b) => a - b);
	const mid = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function fmt(value: number, unit: string) {
	const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
	return `${value.toFixed(digits)}${unit ? ` ${unit}` : ''}`;
}

function verdict(row: Row) {
	if (!row.target) return '';
	const m = median(row.values);
	const ok =
		row.target.op === '<'
			? m < row.target.value
			: row.target.op === '<='
				? m <= row.target.value
				: m >= row.target.value;
	return `${row.target.op} ${row.target.value}${row.unit ? ` ${row.unit}` : ''} ${ok ? '(met)' : '**(MISS)**'}`;
}

async function repeat<T>(times: number, fn: () => Promise<T> | T): Promise<T[]> {
	const values: T[] = [];
	for (let i = 0; i < times; i++) values.push(await fn());
	return values;
}

/** Transpiles the harness to plain JS, so child processes carry no TypeScript compiler. */
function transpileHarness() {
	for (const file of ['harness/engine/index.ts', 'harness/engine/standins.ts', 'bench/child.ts']) {
		const source = readFileSync(path.join(ROOT, file), 'utf8');
		const { outputText } = ts.transpileModule(source, {
			compilerOptions: {
				module: ts.ModuleKind.CommonJS,
				target: ts.ScriptTarget.ES2022,
				esModuleInterop: true,
			},
		});
		const target = path.join(OUT, file.replace(/\.ts$/, '.js'));
		mkdirSync(path.dirname(target), { recursive: true });
		writeFileSync(target, outputText);
	}
}

/** Runs a task in a fresh process; async, so this process keeps serving the sandbox meanwhile. */
function child(
	task: string,
	input: unknown,
	env: Record<string, string> = {},
	flags: string[] = [],
): Promise<Record<string, number>> {
	return new Promise((resolve, reject) => {
		const proc = spawn(
			process.execPath,
			['--disable-warning=V8', ...flags, path.join(OUT, 'bench/child.js'), task],
			{
				cwd: ROOT,
				env: { ...process.env, ...env, BENCH_INPUT: JSON.stringify(input) },
			},
		);
		let stdout = '';
		let stderr = '';
		proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
		proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
		proc.on('error', reject);
		proc.on('close', (code) => {
			if (code !== 0) return reject(new Error(`child ${task} failed: ${stderr}`));
			resolve(JSON.parse(stdout.trim().split('\n').pop() as string));
		});
	});
}

function coldRequire(file: string | string[]): number {
	const files = Array.isArray(file) ? file : [file];
	const script = `require('n8n-workflow');const t=process.hrtime.bigint();${files.map((f) => `require(${JSON.stringify(f)});`).join('')}process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6));`;
	return Number(execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' }));
}

async function startup(sandbox: Sandbox) {
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

function footprint() {
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

function generateWorkflow(
	endpoint: string,
	count: number,
	concurrency?: number,
	extra: Record<string, unknown> = {},
) {
	return {
		nodes: [
			node('Start', TRIGGER_TYPE),
			node('Prompts', ITEMS_TYPE, {
				items: JSON.stringify(
					Array.from({ length: count }, (_, i) => ({ prompt: `bench image ${i}` })),
				),
			}),
			node(
				'Generate',
				GENERATE_TYPE,
				{
					prompt: '={{ $json.prompt }}',
					options: { endpointUrl: endpoint, ...(concurrency ? { concurrency } : {}), ...extra },
				},
				{ credentials: { x402WalletApi: { id: '1', name: 'w' } } },
			),
		],
		connections: connectInLine('Start', 'Prompts', 'Generate'),
	};
}

async function batch(sandbox: Sandbox) {
	log('batch of 50 with 200 ms gateway latency');
	const gateway = sandbox.gateway;
	gateway.options.latencyMs = 200;
	const credentials = (i: number) => ({ x402WalletApi: walletData(sandbox, i) });
	const perImage: number[] = [];
	const wallDefault: number[] = [];
	const wallOne: number[] = [];
	// Warm up first: the payment stack loads on the first payment in a process (its cost is the
	// start-up row above); without this, only the first timed batch would pay it.
	const warm = await runWorkflow(generateWorkflow(gateway.endpoint, 1), {
		credentials: credentials(3),
		classes: distClasses(),
	});
	if (warm.status !== 'success') throw new Error(`warm-up failed: ${warm.error?.message}`);
	for (let r = 0; r < RUNS; r++) {
		gateway.reset(); // restores the gateway's first options too: set the latency again
		gateway.options.latencyMs = 200;
		let t = performance.now();
		const fast = await runWorkflow(generateWorkflow(gateway.endpoint, 50), {
			credentials: credentials(1),
			classes: distClasses(),
		});
		wallDefault.push((performance.now() - t) / 1000);
		if (fast.status !== 'success' || fast.output('Generate').length !== 50)
			throw new Error(`batch failed: ${fast.error?.message}`);
		perImage.push(gateway.counts.generate / 50);
		t = performance.now();
		const slow = await runWorkflow(generateWorkflow(gateway.endpoint, 50, 1), {
			credentials: credentials(2),
			classes: distClasses(),
		});
		wallOne.push((performance.now() - t) / 1000);
		if (slow.status !== 'success') throw new Error(`batch failed: ${slow.error?.message}`);
	}
	gateway.options.latencyMs = 0;
	rows.push({
		figure: 'HTTP requests to the gateway per paid image (batch of 50)',
		values: perImage,
		unit: '',
		target: { op: '<=', value: 1.1 },
	});
	rows.push({
		figure: 'batch of 50, default concurrency: wall time',
		values: wallDefault,
		unit: 's',
	});
	rows.push({ figure: 'batch of 50, concurrency 1: wall time', values: wallOne, unit: 's' });
	rows.push({
		figure: 'batch speed-up, default concurrency vs 1',
		values: wallOne.map((one, i) => one / wallDefault[i]),
		unit: '×',
		target: { op: '>=', value: 5 },
	});
}

/** The built package's modules the benchmark drives directly, as n8n loads them (from dist/). */
function fromDist() {
	/* eslint-disable @typescript-eslint/no-require-imports */
	const load = <T>(file: string) => require(path.resolve('dist/nodes/shared', file)) as T;
	return {
		...load<typeof import('../nodes/shared/x402/session')>('x402/session.js'),
		...load<typeof import('../nodes/shared/http')>('http.js'),
		...load<typeof import('../nodes/shared/x402/wallet/credential')>('x402/wallet/credential.js'),
		...load<typeof import('../nodes/shared/x402/chain/reader')>('x402/chain/reader.js'),
		...load<typeof import('../nodes/shared/x402/protocol/assets')>('x402/protocol/assets.js'),
		spending: load<typeof import('../nodes/shared/x402/wallet/history')>('x402/wallet/history.js'),
	};
	/* eslint-enable @typescript-eslint/no-require-imports */
}

/** A JSON-RPC endpoint `ms` away: forwards to the sandbox chain after a delay, as a remote RPC would. */
async function slowRpc(
	target: string,
	ms: number,
): Promise<{ url: string; requests: () => number; close(): Promise<void> }> {
	let requests = 0;
	const server = http.createServer((req, res) => {
		requests++;
		void readBody(req).then((body) => {
			setTimeout(() => {
				fetch(target, {
					method: 'POST',
					headers: { 'content-type': 'application/json' },
					body: new Uint8Array(body),
				})
					.then(async (r) => {
						res.writeHead(r.status, { 'content-type': 'application/json' });
						res.end(Buffer.from(await r.arrayBuffer()));
					})
					.catch(() => res.destroy());
			}, ms);
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
		requests: () => requests,
		close: async () => await new Promise<void>((resolve) => server.close(() => resolve())),
	};
}

/**
 * Max Spend per 24 Hours: the batch of 50 with the limit on (the wallet's day already read by this
 * process, as after the first run) against the same batch without, gateway and RPC 200 ms away;
 * then the first read of a whole day of Base-spaced history (43,200 blocks 2 s apart, 2,000-block
 * ranges) at 200 ms, and the requests a later run's read makes.
 */
async function dailyLimit(sandbox: Sandbox) {
	log('daily limit: batch of 50 with and without, and reading a day of history');
	const { spending, chainReader, fetchHttp, NETWORKS } = fromDist();
	const gateway = sandbox.gateway;
	gateway.options.latencyMs = 200;
	const rpc = await slowRpc(sandbox.chain.rpcUrl, 200);
	const data = (i: number, limit?: number) =>
		walletData(sandbox, i, { rpcUrl: rpc.url, ...(limit ? { maxSpend24hUsdc: limit } : {}) });
	const off: number[] = [];
	const on: number[] = [];
	try {
		const timed = async (credential: ReturnType<typeof data>) => {
			const t = performance.now();
			const result = await runWorkflow(generateWorkflow(gateway.endpoint, 50), {
				credentials: { x402WalletApi: credential },
				classes: distClasses(),
			});
			if (result.status !== 'success' || result.output('Generate').some((i) => !i.json.jobId))
				throw new Error(`daily-limit batch failed: ${result.error?.message}`);
			return (performance.now() - t) / 1000;
		};
		// Warm-ups: each wallet's first batch (its day read once by this process, the chain's first big batch).
		await timed(data(4));
		await timed(data(5, 1000));
		for (let r = 0; r < RUNS; r++) {
			off.push(await timed(data(4)));
			on.push(await timed(data(5, 1000)));
		}
	} finally {
		gateway.options.latencyMs = 0;
		await rpc.close();
	}
	rows.push({
		figure:
			'batch of 50 with Max Spend per 24 Hours on (the day already read by the process): wall time',
		values: on,
		unit: 's',
	});
	rows.push({
		figure: 'batch of 50 with the daily limit / without',
		values: on.map((v, i) => v / off[i]),
		unit: '×',
		target: { op: '<=', value: 1.1 },
	});

	// A day of Base history: a chain whose clock starts a day back, 43,200 blocks 2 s apart with
	// transfers out of the wallet along the way, brought to the present.
	const day = await startSandbox({ chain: { payers: 1, secondsBehind: 86_400 + 600 } });
	const slow = await slowRpc(day.chain.rpcUrl, 200);
	try {
		for (let i = 0; i < 12; i++) {
			await day.chain.sendUsdc(
				day.payers[0].key,
				'0x000000000000000000000000000000000000dEaD',
				1000n,
			);
			await day.chain.mine(3_600, 2);
		}
		const reader = await chainReader(fetchHttp(), NETWORKS.base, slow.url);
		const firstRead: number[] = [];
		const firstRequests: number[] = [];
		for (let r = 0; r < RUNS; r++) {
			spending.forgetHistories();
			const before = slow.requests();
			const t = performance.now();
			const view = await spending.readSpending(reader, NETWORKS.base, day.payers[0].address);
			firstRead.push((performance.now() - t) / 1000);
			firstRequests.push(slow.requests() - before);
			if (view.transfers.length < 11) throw new Error(`read ${view.transfers.length} transfers`);
		}
		const later: number[] = [];
		for (let r = 0; r < RUNS; r++) {
			await day.chain.sendUsdc(
				day.payers[0].key,
				'0x000000000000000000000000000000000000dEaD',
				1000n,
			);
			await day.chain.mine(30, 2);
			const before = slow.requests();
			await spending.readSpending(reader, NETWORKS.base, day.payers[0].address);
			later.push(slow.requests() - before);
		}
		rows.push({
			figure:
				'first read of 24 h of Base history (43,200 blocks, 2,000-block ranges), RPC 200 ms away',
			values: firstRead,
			unit: 's',
			target: { op: '<=', value: 2 },
		});
		rows.push({ figure: 'its HTTP requests', values: firstRequests, unit: '' });
		rows.push({
			figure: "a later run's read (new blocks and a new transfer): HTTP requests",
			values: later,
			unit: '',
			target: { op: '<=', value: 2 },
		});
	} finally {
		await slow.close();
		await day.close();
	}
}

/**
 * Start sooner: with the RPC 200 ms away as well as the gateway, the batch of 50 at default
 * concurrency against its floor, the same 50 payments when the quote is already known, the
 * balance read and the signing code loaded (each item one paid request, through the package's
 * own payment session from dist/, 10 at a time like the node's default).
 */
async function floor(sandbox: Sandbox) {
	log('batch of 50 vs its floor, gateway and RPC 200 ms away');
	const gateway = sandbox.gateway;
	gateway.options.latencyMs = 200;
	const rpc = await slowRpc(sandbox.chain.rpcUrl, 200);
	const data = (i: number) => walletData(sandbox, i, { rpcUrl: rpc.url });
	const { PaymentSession, fetchHttp, walletFromCredential } = fromDist();
	const batchWall: number[] = [];
	const idempotentWall: number[] = [];
	const floorWall: number[] = [];
	// The sandbox chain answers its first batch of 50 eth_calls about 0.2 s slower than later ones (a one-off of the
	// in-process EVM, not of the node): warm up with a batch of the same size, as batch() warms up the plain arm.
	const warm = await runWorkflow(
		generateWorkflow(gateway.endpoint, 50, undefined, {
			idempotencyKey: `={{ 'warm-${Date.now()}-' + $json.prompt }}`,
		}),
		{ credentials: { x402WalletApi: data(3) }, classes: distClasses() },
	);
	if (warm.status !== 'success') throw new Error(`keyed warm-up failed: ${warm.error?.message}`);
	try {
		for (let r = 0; r < RUNS; r++) {
			let t = performance.now();
			const result = await runWorkflow(generateWorkflow(gateway.endpoint, 50), {
				credentials: { x402WalletApi: data(1) },
				classes: distClasses(),
			});
			batchWall.push((performance.now() - t) / 1000);
			if (result.status !== 'success' || result.output('Generate').length !== 50)
				throw new Error(`batch failed: ${result.error?.message}`);

			// The same batch where every call may have been tried before (an Idempotency Key per item, new
			// keys each run): the nonces' state is read from the chain before paying, alongside the first quote.
			t = performance.now();
			const keyed = await runWorkflow(
				generateWorkflow(gateway.endpoint, 50, undefined, {
					idempotencyKey: `={{ 'bench-${Date.now()}-${r}-' + $json.prompt }}`,
				}),
				{ credentials: { x402WalletApi: data(3) }, classes: distClasses() },
			);
			idempotentWall.push((performance.now() - t) / 1000);
			const keyedOut = keyed.output('Generate');
			if (
				keyed.status !== 'success' ||
				keyedOut.length !== 50 ||
				keyedOut.some((i) => !i.json.jobId)
			)
				throw new Error(
					`keyed batch failed: ${keyed.error?.message ?? JSON.stringify(keyedOut[0]?.json)}`,
				);

			const session = new PaymentSession({
				http: fetchHttp(),
				wallet: walletFromCredential(data(2)),
			});
			const request = (i: number) => ({
				url: gateway.endpoint,
				body: { prompt: `floor ${i}`, num_images: 1 },
				timeoutMs: 120_000,
			});
			await session.pay(request(-1)); // quote, balance and signer ready; not timed
			let next = 0;
			t = performance.now();
			await Promise.all(
				Array.from({ length: 10 }, async () => {
					while (next < 50) await session.pay(request(next++));
				}),
			);
			floorWall.push((performance.now() - t) / 1000);
		}
	} finally {
		gateway.options.latencyMs = 0;
		await rpc.close();
	}
	rows.push({
		figure: 'batch of 50, gateway and RPC 200 ms away: wall time',
		values: batchWall,
		unit: 's',
	});
	rows.push({
		figure: 'its floor: the same 50 with quote, balance and signer ready, one paid request each',
		values: floorWall,
		unit: 's',
	});
	rows.push({
		figure: 'batch of 50 / floor',
		values: batchWall.map((b, i) => b / floorWall[i]),
		unit: '×',
		target: { op: '<=', value: 1.15 },
	});
	rows.push({
		figure:
			'batch of 50 with an Idempotency Key per item (every nonce read from the chain first), gateway and RPC 200 ms away: wall time',
		values: idempotentWall,
		unit: 's',
	});
	rows.push({
		figure: 'batch of 50 with an Idempotency Key / without',
		values: idempotentWall.map((k, i) => k / batchWall[i]),
		unit: '×',
		target: { op: '<=', value: 1.05 },
	});
}

function fakeJobs(sandbox: Sandbox, durations: number[]) {
	const now = Date.now();
	return durations.map((d, i) => {
		const { id } = sandbox.gateway.addJob({
			index: i,
			request: { prompt: 'bench', output_format: 'png' },
			durationMs: d,
		});
		// Shaped like Generate's output, with the service's timestamp of the job.
		return {
			jobId: id,
			statusUrl: `${sandbox.gateway.url}/api/ai/generations/status/${id}`,
			endpoint: sandbox.gateway.endpoint,
			timestamp: new Date(now).toISOString(),
		};
	});
}

/**
 * One Generate call as an AI agent's tool (n8n's engine path: the agent asks, the engine runs the
 * tool node, the answer goes back) against the same call as a plain node, gateway and RPC 200 ms away.
 */
async function toolCall(sandbox: Sandbox) {
	log('one Generate call as a tool vs as a plain node, gateway and RPC 200 ms away');
	const gateway = sandbox.gateway;
	gateway.options.latencyMs = 200;
	const rpc = await slowRpc(sandbox.chain.rpcUrl, 200);
	const credentials = {
		x402WalletApi: walletData(sandbox, 2, { rpcUrl: rpc.url }),
	};
	const generate = (type: string, name: string) =>
		node(
			name,
			type,
			{
				prompt: "={{ $fromAI('prompt', 'What the image shows', 'string') }}",
				options: { endpointUrl: gateway.endpoint },
			},
			{ credentials: { x402WalletApi: { id: '1', name: 'w' } } },
		);
	const asTool = {
		nodes: [
			node('Start', TRIGGER_TYPE),
			node('Agent', ENGINE_AGENT_TYPE, {
				calls: JSON.stringify([
					{ tool: 'Nano Banana', id: 'call_1', args: { prompt: 'a banana for the benchmark' } },
				]),
			}),
			generate(GENERATE_TOOL_TYPE, 'Nano Banana'),
		],
		connections: {
			...connectInLine('Start', 'Agent'),
			'Nano Banana': { ai_tool: [[{ node: 'Agent', type: 'ai_tool', index: 0 }]] },
		},
	};
	const plain = {
		nodes: [
			node('Start', TRIGGER_TYPE),
			node('Prompts', ITEMS_TYPE, {
				items: JSON.stringify([{ prompt: 'a banana for the benchmark' }]),
			}),
			{
				...generate(GENERATE_TYPE, 'Nano Banana'),
				parameters: { prompt: '={{ $json.prompt }}', options: { endpointUrl: gateway.endpoint } },
			},
		],
		connections: connectInLine('Start', 'Prompts', 'Nano Banana'),
	};
	const tool: number[] = [];
	const direct: number[] = [];
	try {
		// Warm both paths (the payment code loads once per process).
		for (const wf of [asTool, plain])
			await runWorkflow(wf as never, { credentials, classes: distClasses() });
		for (let r = 0; r < RUNS * 3; r++) {
			let t = performance.now();
			const a = await runWorkflow(asTool as never, { credentials, classes: distClasses() });
			tool.push((performance.now() - t) / 1000);
			t = performance.now();
			const b = await runWorkflow(plain as never, { credentials, classes: distClasses() });
			direct.push((performance.now() - t) / 1000);
			const answered = (
				a.output('Agent')[0]?.json.answer as Array<Record<string, unknown>> | undefined
			)?.[0];
			if (!answered?.jobId || !b.output('Nano Banana')[0]?.json.jobId)
				throw new Error('tool-call benchmark run failed');
		}
	} finally {
		gateway.options.latencyMs = 0;
		await rpc.close();
	}
	rows.push({
		figure:
			'one Generate call as an AI-agent tool (engine path: agent asks, tool answers), gateway and RPC 200 ms away',
		values: tool,
		unit: 's',
	});
	rows.push({ figure: 'the same call as a plain node', values: direct, unit: 's' });
	rows.push({
		figure: 'tool call / plain node',
		values: tool.map((t, i) => t / direct[i]),
		unit: '×',
		target: { op: '<=', value: 1.1 },
	});
}

async function waiting(sandbox: Sandbox) {
	log('Wait for Job over 50 jobs of 1-5 s, 200 ms gateway latency');
	// Every status request and image download takes 200 ms, as over a real network.
	sandbox.gateway.options.latencyMs = 200;
	const ratio: number[] = [];
	const polls: number[] = [];
	const lag: number[] = [];
	for (let r = 0; r < RUNS; r++) {
		sandbox.gateway.reset(); // restores the gateway's first options too: set the latency again
		sandbox.gateway.options.latencyMs = 200;
		const durations = Array.from({ length: 50 }, (_, i) => 1000 + Math.round((4000 * i) / 49));
		const jobs = fakeJobs(sandbox, durations);
		const started = performance.now();
		const result = await runWorkflow(
			{
				nodes: [
					node('Start', TRIGGER_TYPE),
					node('Jobs', ITEMS_TYPE, { items: JSON.stringify(jobs) }),
					node('Wait', WAIT_TYPE, { options: { allowedHosts: '127.0.0.1' } }),
				],
				connections: connectInLine('Start', 'Jobs', 'Wait'),
			},
			{ classes: distClasses() },
		);
		const wall = performance.now() - started;
		if (result.status !== 'success' || result.output('Wait').length !== 50)
			throw new Error(`wait failed: ${result.error?.message}`);
		ratio.push(wall / Math.max(...durations));
		polls.push([...sandbox.gateway.polls.values()].reduce((a, b) => a + b, 0) / 50);
		const lags = jobs.map(
			(job) =>
				(sandbox.gateway.noticedAt.get(job.jobId) as number) -
				(sandbox.gateway.jobs.get(job.jobId)?.readyAt as number),
		);
		lag.push(lags.reduce((a, b) => a + b, 0) / lags.length / 1000);
	}
	sandbox.gateway.options.latencyMs = 0;
	rows.push({
		figure: 'Wait for Job, 50 jobs of 1-5 s, 200 ms latency: wall time / slowest job',
		values: ratio,
		unit: '×',
		target: { op: '<=', value: 1.2 },
	});
	rows.push({
		figure: 'status requests per job',
		values: polls,
		unit: '',
		target: { op: '<=', value: 4 },
	});
	rows.push({
		figure: 'mean lag between a job finishing and the node noticing',
		values: lag,
		unit: 's',
		target: { op: '<=', value: 1 },
	});
}

/**
 * n8n 2.x stores binary data on disk in regular mode (its default, measured here) and in
 * its database in queue mode (which needs n8n's app, not just its engine). The in-memory
 * mode ('default') was n8n 1.x's default and was removed in n8n 2.0; it is still measured,
 * for 1.x users, beside its live-data floor (garbage collected every 20 ms).
 */
async function memory(sandbox: Sandbox) {
	log('memory: 50 images of 2 MB, filesystem and in-memory binary modes');
	sandbox.gateway.options.imageBytes = 2_000_000;
	const storage = mkdtempSync(path.join(os.tmpdir(), 'nano-banana-binary-'));
	const runs = [
		{ mode: 'filesystem', label: "filesystem binary mode: n8n 2.x's default", target: true },
		{
			mode: 'default',
			label: "in-memory binary mode: n8n 1.x's default, removed in n8n 2.0",
			target: false,
		},
		// Explains the row above; the full run only, so --quick stays under a minute.
		...(quick
			? []
			: [
					{
						mode: 'default',
						label: 'in-memory binary mode, live data only (garbage collected every 20 ms)',
						target: false,
						gcEveryMs: 20,
					},
				]),
	];
	try {
		for (const run of runs) {
			const values: number[] = [];
			let downloaded = 0;
			let start = 0;
			for (let r = 0; r < RUNS; r++) {
				const jobs = fakeJobs(
					sandbox,
					Array.from({ length: 50 }, () => 300),
				);
				const env = {
					N8N_DEFAULT_BINARY_DATA_MODE: run.mode,
					N8N_BINARY_DATA_STORAGE_PATH: storage,
				};
				const result = await child(
					'memory',
					{ jobs, gcEveryMs: run.gcEveryMs },
					env,
					run.gcEveryMs ? ['--expose-gc'] : [],
				);
				if (result.images !== 50) throw new Error(`memory run downloaded ${result.images} images`);
				values.push(result.peakRssMb);
				downloaded = result.downloadedMb;
				start = result.startRssMb;
			}
			rows.push({
				figure: `peak RSS, wait + download 50 × 2 MB, ${run.label}`,
				values,
				unit: 'MB',
				...(run.target ? { target: { op: '<' as const, value: 300 } } : {}),
				note: `${downloaded.toFixed(0)} MB downloaded; ${start.toFixed(0)} MB before the run, with n8n's engine loaded`,
			});
		}
	} finally {
		sandbox.gateway.options.imageBytes = undefined;
		rmSync(storage, { recursive: true, force: true });
	}
}

/**
 * What a hostile server can do to n8n's memory: it offers a 1 GB image and a 100 MB status
 * answer. The size limits must fail the item and keep the peak near the engine's own size.
 */
async function hostileServer() {
	log('hostile server: a 1 GB image and a 100 MB status answer');
	const hostile = await startHostile();
	const storage = mkdtempSync(path.join(os.tmpdir(), 'nano-banana-binary-'));
	const cases = [
		{
			label: 'a 1 GB image offered, in-memory binary mode (n8n 1.x)',
			mode: 'default',
			statusUrl: `${hostile.url}/status?image=${encodeURIComponent(`${hostile.url}/huge?mb=1024&type=image`)}`,
			path: '/huge',
		},
		{
			label: 'a 1 GB image offered, filesystem binary mode (n8n 2.x)',
			mode: 'filesystem',
			statusUrl: `${hostile.url}/status?image=${encodeURIComponent(`${hostile.url}/huge?mb=1024&type=image`)}`,
			path: '/huge',
		},
		{
			label: 'a 100 MB status answer (fails the poll at once, not retried)',
			mode: 'default',
			statusUrl: `${hostile.url}/huge?mb=100`,
			path: '/huge',
		},
	];
	try {
		for (const c of cases) {
			const values: number[] = [];
			let sentMb = 0;
			let start = 0;
			for (let r = 0; r < RUNS; r++) {
				hostile.sent.clear();
				const result = (await child(
					'hostile',
					{ statusUrl: c.statusUrl },
					{ N8N_DEFAULT_BINARY_DATA_MODE: c.mode, N8N_BINARY_DATA_STORAGE_PATH: storage },
				)) as unknown as {
					peakRssMb: number;
					startRssMb: number;
					error: string;
				};
				if (!/larger than/.test(result.error))
					throw new Error(`hostile run did not hit the size limit: ${result.error}`);
				values.push(result.peakRssMb);
				start = result.startRssMb;
				sentMb = (hostile.sent.get(c.path) ?? 0) / 1024 / 1024;
			}
			rows.push({
				figure: `peak RSS, ${c.label}`,
				values,
				unit: 'MB',
				note: `item failed on the size limit; the server got to send ${sentMb.toFixed(0)} MB; ${start.toFixed(0)} MB before the run`,
			});
		}
	} finally {
		await hostile.close();
		rmSync(storage, { recursive: true, force: true });
	}
}

async function main() {
	const started = Date.now();
	// n8n's logger (read when first used) would print every payment's log lines between the figures.
	process.env.N8N_LOG_LEVEL ??= 'warn';
	if (
		!statSync(path.join(ROOT, 'dist/nodes/NanoBananaGenerate/NanoBananaGenerate.node.js'), {
			throwIfNoEntry: false,
		})
	) {
		throw new Error('dist/ is missing: run `npm run build` first (npm run bench does)');
	}
	transpileHarness();
	const sandbox = await startSandbox({ chain: { payers: 6, usdcPerPayer: 1_000_000_000n } });
	try {
		// BENCH_ONLY=dailyLimit,toolCall runs some parts while working on them.
		const only = (name: string) =>
			!process.env.BENCH_ONLY || process.env.BENCH_ONLY.split(',').includes(name);
		if (only('startup')) await startup(sandbox);
		if (only('footprint')) footprint();
		if (only('batch')) await batch(sandbox);
		if (only('floor')) await floor(sandbox);
		if (only('toolCall')) await toolCall(sandbox);
		if (only('dailyLimit')) await dailyLimit(sandbox);
		if (only('waiting')) await waiting(sandbox);
		if (only('memory')) await memory(sandbox);
		if (only('hostileServer')) await hostileServer();
		log('done');
	} finally {
		await sandbox.close();
	}
	const machine = `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GB, Node ${process.version}, ${os.platform()} ${os.arch()}`;
	const lines = [
		`Benchmark (${quick ? 'quick: 1 run each' : `median of ${RUNS} runs`}) on ${machine}, ${new Date().toISOString().slice(0, 10)}`,
		'',
		'| figure | median | min–max | target |',
		'|---|---|---|---|',
		...rows.map((row) => {
			const m = median(row.values);
			const range =
				row.values.length > 1
					? `${fmt(Math.min(...row.values), row.unit)} – ${fmt(Math.max(...row.values), row.unit)}`
					: '';
			return `| ${row.figure}${row.note ? ` (${row.note})` : ''} | ${fmt(m, row.unit)} | ${range} | ${verdict(row)} |`;
		}),
		'',
		`Took ${Math.round((Date.now() - started) / 1000)} s.`,
	];
	process.stdout.write(`${lines.join('\n')}\n`);
	mkdirSync(OUT, { recursive: true });
	writeFileSync(path.join(OUT, quick ? 'results-quick.md' : 'results.md'), `${lines.join('\n')}\n`);
}

main().catch((error: Error) => {
	process.stderr.write(`bench failed: ${error.stack ?? error.message}\n`);
	process.exit(1);
});
