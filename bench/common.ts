/**
 * What every figure of `npm run bench` shares: the rows, the run count, the helpers that run a
 * task in a fresh process, the built modules, a workflow of paid images, an RPC at a distance.
 */

import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import ts from 'typescript';
import { x402Client } from '@x402/core/client';
import { registerExactEvmScheme } from '@x402/evm/exact/client';
import { wrapFetchWithPayment } from '@x402/fetch';
import { privateKeyToAccount } from 'viem/accounts';
import { type Sandbox } from '../sandbox';
import { readBody } from '../sandbox/body';
import { connectInLine, GENERATE_TYPE, ITEMS_TYPE, node, TRIGGER_TYPE } from '../harness/engine';

export const quick = process.argv.includes('--quick');
export const RUNS = quick ? 1 : 3;
export const ROOT = path.resolve('.');
export const OUT = path.join(ROOT, '.tmp', 'bench');

export interface Row {
	figure: string;
	values: number[];
	unit: string;
	target?: { op: '<' | '<=' | '>='; value: number };
	note?: string;
}
export const rows: Row[] = [];

export const began = performance.now();
export function log(message: string) {
	process.stderr.write(
		`bench: [${((performance.now() - began) / 1000).toFixed(1)} s] ${message}\n`,
	);
}

export function median(values: number[]) {
	const sorted = [...values].sort((a, b) => a - b);
	const mid = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function fmt(value: number, unit: string) {
	const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
	return `${value.toFixed(digits)}${unit ? ` ${unit}` : ''}`;
}

export function verdict(row: Row) {
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

export async function repeat<T>(times: number, fn: () => Promise<T> | T): Promise<T[]> {
	const values: T[] = [];
	for (let i = 0; i < times; i++) values.push(await fn());
	return values;
}

/** Transpiles the harness to plain JS, so child processes carry no TypeScript compiler. */
export function transpileHarness() {
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
export function child(
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

export function coldRequire(file: string | string[]): number {
	const files = Array.isArray(file) ? file : [file];
	const script = `require('n8n-workflow');const t=process.hrtime.bigint();${files.map((f) => `require(${JSON.stringify(f)});`).join('')}process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6));`;
	return Number(execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' }));
}

export function generateWorkflow(
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

/** The built package's modules the benchmark drives directly, as n8n loads them (from dist/). */
export function fromDist() {
	/* eslint-disable @typescript-eslint/no-require-imports */
	const load = <T>(file: string) => require(path.resolve('dist/nodes/shared', file)) as T;
	return {
		...load<typeof import('../nodes/shared/x402/session')>('x402/session.js'),
		...load<typeof import('../nodes/shared/transports')>('transports.js'),
		...load<typeof import('../nodes/shared/x402/wallet/credential')>('x402/wallet/credential.js'),
		...load<typeof import('../nodes/shared/x402/chain/reader')>('x402/chain/reader.js'),
		...load<typeof import('../nodes/shared/x402/protocol/assets')>('x402/protocol/assets.js'),
		spending: load<typeof import('../nodes/shared/x402/wallet/history')>('x402/wallet/history.js'),
	};
	/* eslint-enable @typescript-eslint/no-require-imports */
}

/** A JSON-RPC endpoint `ms` away: forwards to the sandbox chain after a delay, as a remote RPC would. */
export async function slowRpc(
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

export function fakeJobs(sandbox: Sandbox, durations: number[]) {
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
 * Paid requests through the official fetch client (one unpaid request and one signature each),
 * `poolSize` at a time (all at once by default).
 */
export function officialPool(key: `0x${string}`) {
	const client = new x402Client();
	registerExactEvmScheme(client, { signer: privateKeyToAccount(key) });
	const pay = wrapFetchWithPayment(fetch, client);
	const one = async (endpoint: string, i: number) => {
		const response = await pay(endpoint, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ prompt: `official ${i}`, num_images: 1 }),
		});
		const body = (await response.json()) as { jobId?: string };
		if (response.status !== 200 || !body.jobId)
			throw new Error(`official client: HTTP ${response.status}`);
	};
	return async (endpoint: string, count: number, poolSize = count) => {
		let next = 0;
		await Promise.all(
			Array.from({ length: Math.min(poolSize, count) }, async () => {
				while (next < count) await one(endpoint, next++);
			}),
		);
	};
}
