import { RUNS, rows, log, generateWorkflow } from './common';
import { walletData, type Sandbox } from '../sandbox';
import { distClasses, runWorkflow } from '../harness/engine';

export async function batch(sandbox: Sandbox) {
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
