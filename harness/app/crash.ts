/**
 * What n8n users meet when a queue worker dies while paying, and when the same request comes
 * again (n8n 2.41 queue mode, read from n8n's own records and the chain). Development only.
 *
 *   crashAndRetry       a worker SIGKILLed while payments are in flight, restarted; n8n marks the
 *                       execution crashed; Retry pressed then: every image is paid at most once, and
 *                       every transfer is in a log line (the killed worker's too) or in saved data.
 *   idempotentWebhook   the same webhook request sent again with an Idempotency Key: paid once.
 */
import type { Sandbox } from '../../sandbox';
import type { N8nProcess, N8nRest } from './host';
import { executionData, executions, workflow, type Execution } from './records';

interface Scenario {
	rest: N8nRest;
	main: N8nProcess;
	n8nDir: string;
	sandbox: Sandbox;
	/** The x402 Wallet credential of `payer`, used by these workflows only. */
	credentialId: string;
	payer: string;
	activate: (wf: ReturnType<typeof workflow>) => Promise<string>;
	say: (line: string) => void;
	check: (name: string, ok: boolean, detail?: unknown) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(
	what: string,
	probe: () => Promise<T | undefined>,
	timeoutMs: number,
): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await probe().catch(() => undefined);
		if (value !== undefined) return value;
		if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
		await sleep(250);
	}
}

/** Activation registers a webhook a moment later: wait until n8n answers it (a GET is refused as the wrong method). */
async function webhookReady(url: string): Promise<void> {
	await until(
		'webhook registered',
		async () =>
			(await (await fetch(url)).text()).includes('Did you mean to make a POST request')
				? true
				: undefined,
		15_000,
	);
}

const signedNonces = (log: string) =>
	new Set(
		[...log.matchAll(/payment signed, about to be sent: .*? nonce (0x[0-9a-f]{64})/g)].map(
			(m) => m[1],
		),
	);

export async function crashAndRetry(
	ctx: Scenario & { worker: N8nProcess; startWorker: () => Promise<N8nProcess> },
): Promise<N8nProcess> {
	const { rest, sandbox, check, say } = ctx;
	const path = 'nano-banana-crash';
	const id = await ctx.activate(
		workflow(
			'Queue: crash and Retry',
			path,
			ctx.credentialId,
			sandbox.gateway.endpoint,
			{ concurrency: 2 },
			'onReceived',
		),
	);
	const url = `${ctx.main.url}/webhook/${path}`;
	await webhookReady(url);
	const prompts = ['dawn', 'noon', 'dusk', 'night', 'rain', 'snow'].map((t) => `a banana at ${t}`);
	const usesBefore = (await sandbox.chain.nonceUses(ctx.payer)).length;
	// Payments stay in flight 1.5 s between the service's verification and its settlement.
	sandbox.gateway.options.settleDelayMs = 1_500;
	const paidBefore = sandbox.gateway.counts.paid;
	let replacement: N8nProcess;
	let crashed: Execution;
	const killedLog = () => ctx.worker.log();
	try {
		await (
			await fetch(url, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ prompts }),
			})
		).arrayBuffer();
		// Kill the worker (as a container kill or the OOM killer does) once two items are paid and two more are in flight.
		await until(
			'four paid requests sent',
			async () => (sandbox.gateway.counts.paid - paidBefore >= 4 ? true : undefined),
			30_000,
		);
		ctx.worker.child.kill('SIGKILL');
		const sent = sandbox.gateway.counts.paid - paidBefore;
		const settledBeforeKill = (await sandbox.chain.nonceUses(ctx.payer)).length - usesBefore;
		say(
			`queue: worker killed with SIGKILL after ${sent} paid requests were sent, ${settledBeforeKill} of them settled`,
		);
		await sleep(2_500); // the service settles what was in flight (the client is gone; the money moves)
		const settled = (await sandbox.chain.nonceUses(ctx.payer)).length - usesBefore;
		check(
			`queue: a worker SIGKILLed while payments were in flight (${settledBeforeKill} settled before the kill, ${settled - settledBeforeKill} settled by the service after it, ${prompts.length - sent} items never sent)`,
			sent === 4 && settled === 4 && settledBeforeKill < 4,
			{ sent, settledBeforeKill, settled },
		);
		replacement = await ctx.startWorker();
		crashed = await until(
			'the execution shown as crashed',
			async () =>
				(await executions(rest, id)).find((e) => e.status === 'crashed' || e.status === 'error'),
			90_000,
		);
	} finally {
		sandbox.gateway.options.settleDelayMs = undefined;
	}
	check(
		`queue: n8n shows the execution as "crashed" after the worker is restarted (status ${crashed.status})`,
		crashed.status === 'crashed',
		crashed,
	);

	// Retry, as the editor's Retry button does, while the execution still shows its data.
	const retried = await rest.must<{ id?: string }>('POST', `/rest/executions/${crashed.id}/retry`, {
		loadWorkflow: false,
	});
	const retry = await until(
		'the Retry to finish',
		async () =>
			(await executions(rest, id)).find(
				(e) =>
					e.id !== crashed.id &&
					(e.id === retried?.id || e.mode === 'retry') &&
					e.status !== 'running' &&
					e.status !== 'new',
			),
		90_000,
	);
	const { runData } = await executionData(rest, ctx.n8nDir, retry.id);
	const generated = (runData['Nano-Banana Generate']?.[0]?.data?.main?.[0] ?? []).map(
		(i) => i.json,
	);
	const images = (runData['Wait for Job']?.[0]?.data?.main?.[0] ?? []).filter(
		(i) => i.binary?.data,
	);
	const uses = (await sandbox.chain.nonceUses(ctx.payer)).slice(usesBefore);
	const alreadyPaid = generated.filter((j) => j.errorKind === 'already paid');
	const paidNow = generated.filter(
		(j) => j.jobId && (j.payment as Record<string, unknown> | undefined)?.settlement === 'charged',
	);
	check(
		`queue: Retry of the crashed execution pays every image at most once (${uses.length} transfers for ${prompts.length} images: ${alreadyPaid.length} reported "already paid" with their transactions, ${paidNow.length} paid in the Retry, ${images.length} images)`,
		retry.status === 'success' &&
			uses.length === prompts.length &&
			new Set(uses.map((u) => u.nonce)).size === uses.length &&
			alreadyPaid.length === 4 &&
			paidNow.length === 2 &&
			images.length === 2 &&
			alreadyPaid.every((j) => uses.some((u) => u.tx === j.transaction)),
		{
			status: retry.status,
			uses: uses.length,
			generated: generated.map(
				(j) => j.errorKind ?? (j.payment as Record<string, unknown> | undefined)?.settlement,
			),
		},
	);
	// The record: every transfer of this wallet is in a "payment signed" line (the killed worker wrote its lines before dying) or in saved data.
	const logged = new Set([...signedNonces(killedLog()), ...signedNonces(replacement.log())]);
	const saved = JSON.stringify(generated);
	const missing = uses.filter(
		(u) => !logged.has(u.nonce.toLowerCase()) && !saved.includes(u.nonce),
	);
	const killedSigned = signedNonces(killedLog());
	const killedLines = uses.filter((u) => killedSigned.has(u.nonce.toLowerCase())).length;
	check(
		`queue: every on-chain transfer of the wallet is in a log line or in saved execution data (${killedLines} "payment signed" lines survived the SIGKILL)`,
		missing.length === 0 && killedLines >= 4,
		{ missing, killedLines },
	);
	return replacement;
}

export async function idempotentWebhook(ctx: Scenario): Promise<void> {
	const { sandbox, check } = ctx;
	const path = 'nano-banana-orders';
	await ctx.activate(
		workflow(
			'Queue: orders with an Idempotency Key',
			path,
			ctx.credentialId,
			sandbox.gateway.endpoint,
			{ idempotencyKey: '={{ $json.id }}', concurrency: 2 },
			'lastNode',
			{ field: 'body.orders' },
		),
	);
	const url = `${ctx.main.url}/webhook/${path}`;
	await webhookReady(url);
	const body = JSON.stringify({
		orders: [
			{ id: 'order-1001', prompt: 'a banana on a red plate' },
			{ id: 'order-1002', prompt: 'a banana on a blue plate' },
		],
	});
	const send = async () => {
		const response = await fetch(url, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body,
		});
		return {
			status: response.status,
			items: (await response.json()) as Array<Record<string, unknown>>,
		};
	};
	const usesBefore = (await sandbox.chain.nonceUses(ctx.payer)).length;
	const first = await send();
	const afterFirst = (await sandbox.chain.nonceUses(ctx.payer)).length - usesBefore;
	const paidRequests = sandbox.gateway.counts.paid;
	const again = await send();
	const afterAgain = (await sandbox.chain.nonceUses(ctx.payer)).length - usesBefore;
	const reported = again.items.filter(
		(i) => i.errorKind === 'already paid' && typeof i.transaction === 'string',
	);
	check(
		`queue: the same webhook request sent again with an Idempotency Key pays nothing (${afterFirst} transfers for the first, ${afterAgain - afterFirst} for the second; ${reported.length} items "already paid" with their transactions)`,
		first.status === 200 &&
			again.status === 200 &&
			afterFirst === 2 &&
			afterAgain === 2 &&
			reported.length === 2 &&
			sandbox.gateway.counts.paid === paidRequests,
		{
			first: first.items.map((i) => i.status ?? i.errorKind),
			again: again.items.map((i) => i.errorKind ?? i.status),
		},
	);
}
