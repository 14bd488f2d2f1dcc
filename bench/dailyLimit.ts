import { RUNS, rows, log, generateWorkflow, fromDist, slowRpc } from './common';
import { startSandbox, walletData, type Sandbox } from '../sandbox';
import { distClasses, runWorkflow } from '../harness/engine';

/**
 * Max Spend per 24 Hours: the batch of 50 with the limit on (the wallet's day already read by this
 * process, as after the first run) against the same batch without, gateway and RPC 200 ms away;
 * then the first read of a whole day of Base-spaced history (43,200 blocks 2 s apart, 2,000-block
 * ranges) at 200 ms, and the requests a later run's read makes.
 */
export async function dailyLimit(sandbox: Sandbox) {
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
