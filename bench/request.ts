/**
 * X402 Request at Generate's speed: a batch of 50 paid requests through X402 Request against the
 * same batch through Generate (gateway 200 ms away, the same server, alternated), and against a
 * hand-written pool of 10 using the official client (@x402/fetch), which reuses no quote.
 */
import {
	distClasses,
	ITEMS_TYPE,
	node,
	REQUEST_TYPE,
	runWorkflow,
	TRIGGER_TYPE,
	connectInLine,
} from '../harness/engine';
import { walletData, type Sandbox } from '../sandbox';
import { generateWorkflow, log, officialPool, rows, RUNS } from './common';

function requestWorkflow(endpoint: string, count: number) {
	return {
		nodes: [
			node('Start', TRIGGER_TYPE),
			node('Prompts', ITEMS_TYPE, {
				items: JSON.stringify(
					Array.from({ length: count }, (_, i) => ({ prompt: `bench request ${i}` })),
				),
			}),
			node(
				'Request',
				REQUEST_TYPE,
				{
					method: 'POST',
					url: endpoint,
					sendBody: true,
					contentType: 'json',
					specifyBody: 'keypair',
					bodyParameters: { parameters: [{ name: 'prompt', value: '={{ $json.prompt }}' }] },
				},
				{ credentials: { x402WalletApi: { id: '1', name: 'w' } } },
			),
		],
		connections: connectInLine('Start', 'Prompts', 'Request'),
	};
}

export async function request(sandbox: Sandbox) {
	log('batch of 50 through X402 Request vs Generate vs a pool of 10 with the official client');
	const gateway = sandbox.gateway;
	const credentials = (i: number) => ({ x402WalletApi: walletData(sandbox, i) });
	const timed = async (work: () => Promise<void>) => {
		gateway.reset(); // restores the gateway's first options too: set the latency again
		gateway.options.latencyMs = 200;
		const t = performance.now();
		await work();
		return (performance.now() - t) / 1000;
	};
	const viaRequest = async () => {
		const result = await runWorkflow(requestWorkflow(gateway.endpoint, 50), {
			credentials: credentials(1),
			classes: distClasses(),
		});
		const out = result.output('Request');
		if (result.status !== 'success' || out.length !== 50 || out.some((i) => !i.json.payment))
			throw new Error(`X402 Request batch failed: ${result.error?.message}`);
	};
	const viaGenerate = async () => {
		const result = await runWorkflow(generateWorkflow(gateway.endpoint, 50), {
			credentials: credentials(2),
			classes: distClasses(),
		});
		if (result.status !== 'success' || result.output('Generate').length !== 50)
			throw new Error(`Generate batch failed: ${result.error?.message}`);
	};
	const pool = officialPool(walletData(sandbox, 5).privateKey as `0x${string}`);
	const requestWall: number[] = [];
	const generateWall: number[] = [];
	const poolWall: number[] = [];
	try {
		await timed(viaRequest);
		await timed(viaGenerate);
		for (let r = 0; r < RUNS; r++) {
			requestWall.push(await timed(viaRequest));
			generateWall.push(await timed(viaGenerate));
			poolWall.push(await timed(async () => await pool(gateway.endpoint, 50, 10)));
		}
	} finally {
		gateway.options.latencyMs = 0;
	}
	rows.push({
		figure: 'batch of 50 through X402 Request, gateway 200 ms away: wall time',
		values: requestWall,
		unit: 's',
	});
	rows.push({
		figure: 'X402 Request / Generate, the same batch',
		values: requestWall.map((r, i) => r / generateWall[i]),
		unit: '×',
		target: { op: '<=', value: 1.05 },
	});
	rows.push({
		figure: 'hand-written pool of 10 with the official client (@x402/fetch), same 50: wall time',
		values: poolWall,
		unit: 's',
	});
	rows.push({
		figure: 'X402 Request / official client pool of 10',
		values: requestWall.map((r, i) => r / poolWall[i]),
		unit: '×',
		target: { op: '<', value: 1 },
	});
}
