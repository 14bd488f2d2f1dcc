/**
 * Max Spend per 24 Hours in queue mode (main + 2 workers, 10 executions at once each): executions
 * started at once on both workers, and the same started one after another. Development only.
 */
import { walletData, type Sandbox } from '../../sandbox';
import type { N8nRest } from './host';
import { workflow } from './records';

export interface LimitContext {
	rest: N8nRest;
	mainUrl: string;
	sandbox: Sandbox;
	/** Payers for the burst and the sequence (each its own wallet: its own day). */
	payers: [number, number];
	/** Executions one worker runs at once. */
	workerConcurrency: number;
	workers: number;
	activate: (wf: ReturnType<typeof workflow>) => Promise<string>;
	say: (line: string) => void;
	check: (name: string, ok: boolean, detail?: unknown) => void;
}

const IMAGES = 10;
const PRICE = 52_700n;

export async function dailyLimitInQueue(ctx: LimitContext): Promise<void> {
	const { rest, sandbox, check, say } = ctx;
	const limitUsdc = (IMAGES * Number(PRICE)) / 1e6;
	const setUp = async (payer: number, path: string) => {
		const credential = await rest.credential(
			`x402 Wallet (daily limit ${path})`,
			'x402WalletApi',
			walletData(sandbox, payer, { maxSpend24hUsdc: limitUsdc }),
		);
		await ctx.activate(
			workflow(
				`Queue: daily limit (${path})`,
				path,
				credential,
				sandbox.gateway.endpoint,
				{ maxPriceUsdc: 0.06 },
				'lastNode',
			),
		);
		const url = `${ctx.mainUrl}/webhook/${path}`;
		for (let i = 0; i < 50; i++) {
			const text = await (await fetch(url)).text();
			if (text.includes('Did you mean to make a POST request')) break;
			await new Promise((r) => setTimeout(r, 300));
		}
		return url;
	};
	const call = async (url: string, tag: string) => {
		const response = await fetch(url, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ prompts: [`${tag} a banana under a daily limit`] }),
		});
		await response.arrayBuffer();
		return response.status;
	};
	const sentBy = async (payer: number) =>
		(await sandbox.chain.transfers()).filter(
			(t) => t.from.toLowerCase() === sandbox.payers[payer].address.toLowerCase(),
		).length;

	// At once: more executions than both workers together run at a time, so the limit must bite.
	// Each worker holds its own payments in flight; the other's are invisible until they settle:
	// the documented bound is the limit + what the other worker(s) can have in flight at once.
	const burstUrl = await setUp(ctx.payers[0], 'nano-banana-limit-burst');
	const burst = 3 * ctx.workerConcurrency;
	const statuses = await Promise.all(
		Array.from({ length: burst }, async (_, i) => await call(burstUrl, `burst ${i}`)),
	);
	const atOnce = await sentBy(ctx.payers[0]);
	const bound = IMAGES + (ctx.workers - 1) * ctx.workerConcurrency;
	say(
		`queue: daily limit ${limitUsdc} USDC (${IMAGES} images): ${burst} executions at once on ${ctx.workers} workers paid ${atOnce} images (bound ${IMAGES} + ${(ctx.workers - 1) * ctx.workerConcurrency} in flight on the other worker = ${bound})`,
	);
	check(
		`daily limit: ${burst} executions at once → ${atOnce} transfers, within the limit of ${IMAGES} + the documented bound (${bound}), and at least the limit`,
		statuses.every((s) => s === 200) && atOnce >= IMAGES && atOnce <= bound,
		{ statuses, atOnce },
	);

	// One after another: every execution reads the chain the earlier ones settled on, on any worker.
	const seqUrl = await setUp(ctx.payers[1], 'nano-banana-limit-sequence');
	const sequence: number[] = [];
	for (let i = 0; i < 2 * IMAGES; i++) sequence.push(await call(seqUrl, `sequence ${i}`));
	const oneByOne = await sentBy(ctx.payers[1]);
	say(`queue: daily limit: ${2 * IMAGES} executions one after another paid ${oneByOne} images`);
	check(
		`daily limit: ${2 * IMAGES} executions one after another on 2 workers → exactly ${IMAGES} transfers`,
		sequence.every((s) => s === 200) && oneByOne === IMAGES,
		{ sequence, oneByOne },
	);
}
