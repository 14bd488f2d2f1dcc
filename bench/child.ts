/**
 * Benchmark tasks that need a fresh process (cold start, first execution, peak RSS).
 * Run as plain JavaScript (transpiled by bench/run.ts) so no compiler sits in memory.
 */
import {
	connectInLine,
	distClasses,
	GENERATE_TYPE,
	initBinaryDataService,
	ITEMS_TYPE,
	node,
	runWorkflow,
	TRIGGER_TYPE,
	WAIT_TYPE,
} from '../harness/engine';

const task = process.argv[2];
const input = JSON.parse(process.env.BENCH_INPUT ?? '{}') as Record<string, unknown>;

function print(result: unknown) {
	process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function firstExecution() {
	const workflow = {
		nodes: [
			node('Start', TRIGGER_TYPE),
			node('Prompts', ITEMS_TYPE, { items: JSON.stringify([{ prompt: 'first' }]) }),
			node(
				'Generate',
				GENERATE_TYPE,
				{ prompt: '={{ $json.prompt }}', options: { endpointUrl: input.endpoint as string } },
				{ credentials: { x402WalletApi: { id: '1', name: 'w' } } },
			),
		],
		connections: connectInLine('Start', 'Prompts', 'Generate'),
	};
	const options = {
		credentials: { x402WalletApi: input.credential as Record<string, string> },
		classes: distClasses(),
	};
	const t0 = performance.now();
	const first = await runWorkflow(workflow, options);
	const t1 = performance.now();
	const second = await runWorkflow(workflow, options);
	const t2 = performance.now();
	if (first.status !== 'success' || second.status !== 'success')
		throw new Error(`run failed: ${first.error?.message ?? second.error?.message}`);
	print({ firstMs: t1 - t0, secondMs: t2 - t1 });
}

async function memory() {
	if (process.env.N8N_DEFAULT_BINARY_DATA_MODE === 'filesystem') await initBinaryDataService();
	const jobs = input.jobs as Array<{ statusUrl: string; endpoint: string }>;
	// Live data only: collect garbage every few ms (needs --expose-gc), so the peak shows what is held, not what awaits collection.
	const gc = (globalThis as { gc?: () => void }).gc;
	const collector = input.gcEveryMs && gc ? setInterval(gc, input.gcEveryMs as number) : undefined;
	const before = process.memoryUsage().rss;
	const result = await runWorkflow(
		{
			nodes: [
				node('Start', TRIGGER_TYPE),
				node('Jobs', ITEMS_TYPE, { items: JSON.stringify(jobs) }),
				node('Wait', WAIT_TYPE, {
					pollIntervalSeconds: 0.5,
					options: { allowedHosts: '127.0.0.1' },
				}),
			],
			connections: connectInLine('Start', 'Jobs', 'Wait'),
		},
		{ classes: distClasses() },
	);
	if (collector) clearInterval(collector);
	if (result.status !== 'success') throw new Error(`run failed: ${result.error?.message}`);
	const images = result.output('Wait');
	const bytes = images.reduce(
		(sum, item) =>
			sum + Number(item.json.image && (item.json.image as { sizeBytes: number }).sizeBytes),
		0,
	);
	print({
		peakRssMb: peakRssMb(),
		startRssMb: before / 1024 / 1024,
		images: images.length,
		downloadedMb: bytes / 1024 / 1024,
	});
}

/** Peak resident memory of this process, from the kernel (a forked child's maxRSS can start at its parent's). */
function peakRssMb(): number {
	/* eslint-disable @typescript-eslint/no-require-imports */
	const status = require('node:fs').readFileSync('/proc/self/status', 'utf8') as string;
	/* eslint-enable @typescript-eslint/no-require-imports */
	const match = /VmHWM:\s+(\d+) kB/.exec(status);
	return match ? Number(match[1]) / 1024 : process.resourceUsage().maxRSS / 1024;
}

/** Wait for Job against a server that offers far too much: an item must fail, memory must not follow. */
async function hostile() {
	if (process.env.N8N_DEFAULT_BINARY_DATA_MODE === 'filesystem') await initBinaryDataService();
	const before = process.memoryUsage().rss;
	const result = await runWorkflow(
		{
			nodes: [
				node('Start', TRIGGER_TYPE),
				node('Jobs', ITEMS_TYPE, { items: JSON.stringify([{ statusUrl: input.statusUrl }]) }),
				node(
					'Wait',
					WAIT_TYPE,
					{ pollIntervalSeconds: 0.5, maxWaitMinutes: 0.1, options: { allowedHosts: '127.0.0.1' } },
					{ onError: 'continueRegularOutput' },
				),
			],
			connections: connectInLine('Start', 'Jobs', 'Wait'),
		},
		{ classes: distClasses() },
	);
	const [item] = result.output('Wait');
	print({
		peakRssMb: peakRssMb(),
		startRssMb: before / 1024 / 1024,
		error: String(item?.json.error ?? ''),
	});
}

(task === 'first-execution' ? firstExecution() : task === 'hostile' ? hostile() : memory()).catch(
	(error: Error) => {
		process.stderr.write(`${error.stack ?? error.message}\n`);
		process.exit(1);
	},
);
