import { RUNS, rows, log, generateWorkflow, fromDist, slowRpc } from './common';
import { walletData, type Sandbox } from '../sandbox';
import { distClasses, runWorkflow } from '../harness/engine';

/**
 * Start sooner: with the RPC 200 ms away as well as the gateway, the batch of 50 at default
 * concurrency against its floor, the same 50 payments when the quote is already known, the
 * balance read and the signing code loaded (each item one paid request, through the package's
 * own payment session from dist/, 10 at a time like the node's default).
 */
export async function floor(sandbox: Sandbox) {
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
