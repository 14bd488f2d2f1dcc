/**
 * `npm run demo`: the example workflows, run by n8n's real engine with this
 * package's built nodes, against the local sandbox (no network, no real money).
 * Writes the images to ./output/ and prints job ids, receipts and the wallet's
 * USDC balance before and after.
 *
 * `npm run demo -- --live`: the single-image example against the real Dopamint
 * endpoint, paid from the wallet in NANO_BANANA_PRIVATE_KEY. It shows the quote
 * first, refuses anything above the cap (NANO_BANANA_MAX_USDC, default 0.10),
 * and pays only after you confirm (or with --yes).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline/promises';
import type { INodeExecutionData } from 'n8n-workflow';
import { pointAtGateway, startSandbox, type Sandbox } from '../sandbox';
import { distClasses, runWorkflow, type WorkflowJson } from '../harness/engine';

const OUTPUT = path.resolve('output');
const say = (line = '') => process.stdout.write(`${line}\n`);

function example(name: string, endpoint?: string): WorkflowJson {
	const workflow = JSON.parse(
		readFileSync(path.resolve('examples', `${name}.json`), 'utf8'),
	) as WorkflowJson;
	return endpoint ? pointAtGateway(workflow as never, { endpoint }) : workflow;
}

function saveImages(label: string, items: INodeExecutionData[]) {
	mkdirSync(OUTPUT, { recursive: true });
	for (const item of items) {
		const binary = item.binary?.data;
		if (!binary?.data) continue;
		const file = path.join(
			OUTPUT,
			`${label}-${item.json.jobId}.${binary.fileExtension ?? binary.fileName?.split('.').pop() ?? 'png'}`,
		);
		writeFileSync(file, Buffer.from(binary.data, 'base64'));
		say(
			`  image: ${path.relative(process.cwd(), file)} (${binary.mimeType}, ${binary.fileSize ?? ''})`,
		);
	}
}

function printReceipts(items: INodeExecutionData[]) {
	for (const item of items) {
		const json = item.json as Record<string, unknown>;
		const payment = json.payment as Record<string, string> | undefined;
		if (payment) {
			say(
				`  job ${json.jobId}: paid ${payment.amountUsdc} USDC to ${payment.payTo} on ${payment.network}, tx ${payment.transaction}`,
			);
		} else if (json.error) {
			say(`  item refused: ${json.error}`);
		}
	}
}

/** A line a second while one example runs: its own jobs only, submitted and finished. */
async function withProgress<T>(sandbox: Sandbox, name: string, work: () => Promise<T>): Promise<T> {
	const earlier = new Set(sandbox.gateway.jobs.keys());
	const timer = setInterval(() => {
		const jobs = [...sandbox.gateway.jobs].filter(([id]) => !earlier.has(id)).map(([, j]) => j);
		const done = jobs.filter((j) => Date.now() >= j.readyAt).length;
		process.stdout.write(`  … ${name}: ${jobs.length} job(s) submitted, ${done} finished\n`);
	}, 1000);
	try {
		return await work();
	} finally {
		clearInterval(timer);
	}
}

async function sandboxDemo() {
	say(
		'Starting the sandbox: local Base chain (chainId 8453) with USDC, x402 facilitator, Dopamint-shaped gateway.',
	);
	const sandbox = await startSandbox({
		chain: { payers: 1 },
		gateway: { jobDurationMs: (i) => 1500 + (i % 4) * 500 },
	});
	try {
		const payer = sandbox.payers[0];
		const credentials = {
			x402WalletApi: {
				privateKey: payer.key,
				network: 'base',
				maxPaymentUsdc: 0.1,
				rpcUrl: sandbox.chain.rpcUrl,
			},
		};
		const balance = async () => Number(await sandbox.chain.usdcBalance(payer.address)) / 1e6;
		const before = await balance();
		say(`Wallet ${payer.address}: ${before} USDC before.`);

		for (const name of ['single-image', 'batch']) {
			say();
			say(`Running examples/${name}.json …`);
			const result = await withProgress(
				sandbox,
				name,
				async () =>
					await runWorkflow(example(name, sandbox.gateway.endpoint), {
						credentials,
						classes: distClasses(),
					}),
			);
			if (result.status !== 'success') throw new Error(`${name} failed: ${result.error?.message}`);
			printReceipts(result.output('Nano-Banana Generate'));
			saveImages(name, result.output('Wait for Job'));
		}
		const after = await balance();
		say();
		say(
			`Wallet: ${before} USDC before, ${after} USDC after (spent ${(before - after).toFixed(4)} USDC, ${(await sandbox.chain.transfers()).length} on-chain transfers).`,
		);
	} finally {
		await sandbox.close();
	}
}

async function liveDemo() {
	const key = process.env.NANO_BANANA_PRIVATE_KEY;
	if (!key)
		throw new Error(
			'Set NANO_BANANA_PRIVATE_KEY to the private key of a Base wallet holding a little USDC.',
		);
	const cap = Number(process.env.NANO_BANANA_MAX_USDC ?? '0.10');
	const credentials = {
		x402WalletApi: {
			privateKey: key,
			network: 'base',
			maxPaymentUsdc: cap,
			rpcUrl: process.env.NANO_BANANA_RPC_URL ?? '',
		},
	};
	say(`Asking Dopamint for its price (nothing is paid yet; cap ${cap} USDC per request) …`);
	const check = await runWorkflow(example('price-check'), { credentials, classes: distClasses() });
	if (check.status !== 'success') throw new Error(`price check failed: ${check.error?.message}`);
	const quote = check.output('Nano-Banana Generate')[0].json as Record<string, unknown>;
	say(JSON.stringify(quote.quote, null, 2));
	if (!quote.wouldPay) throw new Error(`Not paying: ${String(quote.refusal)}`);
	const price = (quote.quote as Record<string, string>).priceUsdc;
	if (!process.argv.includes('--yes')) {
		if (!process.stdin.isTTY)
			throw new Error('Not paying without confirmation: run in a terminal, or add --yes.');
		const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
		const answer = await rl.question(`Pay ${price} USDC for one image? [y/N] `);
		rl.close();
		if (!/^y(es)?$/i.test(answer.trim())) {
			say('Nothing paid.');
			return;
		}
	}
	const result = await runWorkflow(example('single-image'), {
		credentials,
		classes: distClasses(),
	});
	if (result.status !== 'success') throw new Error(`generation failed: ${result.error?.message}`);
	printReceipts(result.output('Nano-Banana Generate'));
	saveImages('live', result.output('Wait for Job'));
}

// The demo prints each payment's receipt itself; n8n's log lines for every payment (see the
// README, "When a worker dies") are shown with NANO_BANANA_DEMO_LOG=1.
process.env.N8N_LOG_LEVEL ??= process.env.NANO_BANANA_DEMO_LOG ? 'info' : 'warn';
(process.argv.includes('--live') ? liveDemo() : sandboxDemo()).catch((error: Error) => {
	process.stderr.write(`demo: ${error.message}\n`);
	process.exit(1);
});
