/**
 * Speed at a real RPC's distance: a paid item gives up its concurrency slot once its paid answer
 * is in, and the receipts of the items waiting are read from the chain together. Two figures:
 *   - the batch of 50 at default concurrency with the RPC 200 ms away, as a real Base RPC is,
 *     against the same batch with the RPC on loopback (gateway 200 ms away in both, alternated);
 *   - the batch of 50 at concurrency 50 against a hand-written pool of 50 using the official
 *     client (@x402/fetch with @x402/evm's exact scheme), which reuses no quote and reads no chain,
 *     gateway 200 ms away, alternated: with the RPC on loopback (the target), and with it 200 ms
 *     away too (shown: the receipts' chain read is one more round trip the official client skips).
 */
import { distClasses, runWorkflow } from '../harness/engine';
import { walletData, type Sandbox } from '../sandbox';
import { generateWorkflow, log, officialPool, rows, RUNS, slowRpc } from './common';

export async function rpcDistance(sandbox: Sandbox) {
	log('batch of 50 with the RPC 200 ms away / on loopback; concurrency 50 / official client pool');
	const gateway = sandbox.gateway;
	const rpc = await slowRpc(sandbox.chain.rpcUrl, 200);
	const far = (i: number) => ({ x402WalletApi: walletData(sandbox, i, { rpcUrl: rpc.url }) });
	const near = (i: number) => ({ x402WalletApi: walletData(sandbox, i) });
	const batch = async (
		credentials: ReturnType<typeof far>,
		concurrency?: number,
	): Promise<number> => {
		gateway.reset(); // restores the gateway's first options too: set the latency again
		gateway.options.latencyMs = 200;
		const t = performance.now();
		const result = await runWorkflow(generateWorkflow(gateway.endpoint, 50, concurrency), {
			credentials,
			classes: distClasses(),
		});
		const wall = (performance.now() - t) / 1000;
		const out = result.output('Generate');
		if (result.status !== 'success' || out.length !== 50 || out.some((i) => !i.json.jobId))
			throw new Error(`batch failed: ${result.error?.message}`);
		return wall;
	};
	const official = officialPool(walletData(sandbox, 4).privateKey as `0x${string}`);
	const farWall: number[] = [];
	const nearWall: number[] = [];
	const fiftyWall: number[] = [];
	const fiftyFarWall: number[] = [];
	const rpcRequests: number[] = [];
	const poolWall: number[] = [];
	try {
		// Warm up each arm: the payment stack loads on a process's first payment.
		await batch(far(1));
		await official(gateway.endpoint, 50);
		// Five runs (one with --quick): the side-by-side at 50 in flight is noisy.
		for (let r = 0; r < (RUNS > 1 ? 5 : 1); r++) {
			const before = rpc.requests();
			farWall.push(await batch(far(1)));
			rpcRequests.push(rpc.requests() - before);
			nearWall.push(await batch(near(2)));
			fiftyWall.push(await batch(near(3), 50));
			fiftyFarWall.push(await batch(far(3), 50));
			gateway.reset();
			gateway.options.latencyMs = 200;
			const t = performance.now();
			await official(gateway.endpoint, 50);
			poolWall.push((performance.now() - t) / 1000);
		}
	} finally {
		gateway.options.latencyMs = 0;
		await rpc.close();
	}
	rows.push({
		figure: 'batch of 50, gateway 200 ms away, RPC 200 ms away: wall time',
		values: farWall,
		unit: 's',
	});
	rows.push({
		figure: 'its requests to the RPC (balance, receipts: 101 before they were read together)',
		values: rpcRequests,
		unit: '',
	});
	rows.push({ figure: 'the same, RPC on loopback: wall time', values: nearWall, unit: 's' });
	rows.push({
		figure: 'batch of 50, RPC 200 ms away / on loopback',
		values: farWall.map((f, i) => f / nearWall[i]),
		unit: '×',
		target: { op: '<=', value: 1.2 },
	});
	rows.push({
		figure: 'batch of 50 at concurrency 50, gateway 200 ms away, RPC on loopback: wall time',
		values: fiftyWall,
		unit: 's',
	});
	rows.push({
		figure: 'hand-written pool of 50 with the official client (@x402/fetch), same 50: wall time',
		values: poolWall,
		unit: 's',
	});
	rows.push({
		figure: 'concurrency 50 / official client pool of 50 (gateway 200 ms away)',
		values: fiftyWall.map((f, i) => f / poolWall[i]),
		unit: '×',
		target: { op: '<=', value: 1.0 },
	});
	rows.push({
		figure:
			'the same with the RPC 200 ms away too (the official client reads no chain; the receipts add a read)',
		values: fiftyFarWall.map((f, i) => f / poolWall[i]),
		unit: '×',
	});
}
