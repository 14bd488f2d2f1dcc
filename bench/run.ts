/**
 * `npm run bench`: what users pay in time, requests and memory, measured on the
 * real nodes (built, in dist/) in n8n's engine against the real sandbox.
 * Prints a markdown table: figure, median of several runs, min–max, target.
 * Misses are printed as misses; the exit code is non-zero only if the benchmark itself failed.
 *
 *   npm run bench              full run (a few minutes)
 *   npm run bench -- --quick   one run of each, under a minute
 */

import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
	quick,
	RUNS,
	ROOT,
	OUT,
	rows,
	log,
	median,
	fmt,
	verdict,
	transpileHarness,
} from './common';
import { startup, footprint } from './startup';
import { batch } from './batch';
import { dailyLimit } from './dailyLimit';
import { floor } from './floor';
import { request } from './request';
import { rpcDistance } from './rpcDistance';
import { toolCall } from './toolCall';
import { waiting } from './waiting';
import { memory } from './memory';
import { hostileServer } from './hostile';
import { startSandbox } from '../sandbox';

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
		if (only('rpcDistance')) await rpcDistance(sandbox);
		if (only('request')) await request(sandbox);
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
