/**
 * Every guarantee Generate gives, on X402 Request too (the same payment core, through the node):
 * Expected Recipient, Budget per Execution, Max Spend per 24 Hours, the balance, paid once (an
 * Idempotency Key, n8n's Retry, Retry On Fail), one signature per call, a paid request never
 * redirected, the time limit, the log lines written before a payment header leaves, and no key in
 * any output, error or log.
 */
import type { INode } from 'n8n-workflow';
import {
	connectInLine,
	ITEMS_TYPE,
	n8nLogger,
	node,
	REQUEST_TYPE,
	runWorkflow,
	TRIGGER_TYPE,
} from '../../harness/engine';
import { startSandbox, type Sandbox } from '../../sandbox';
import { expectNoKey, forgetProcessTables, jsonOf, walletCredential } from '../helpers';

let sandbox: Sandbox;
beforeAll(async () => {
	sandbox = await startSandbox({ chain: { payers: 6 }, gateway: { jobDurationMs: 50 } });
});
afterAll(async () => await sandbox?.close());
beforeEach(() => {
	sandbox.gateway.reset();
	forgetProcessTables();
});

const PAY_TO = '0x5054acbbdd6aed95231cbe833f7bf1db7c248bff';
const transfers = async () => (await sandbox.chain.transfers(PAY_TO)).length;

function flow(
	options: INode['parameters'] = {},
	prompts: string[] = ['a banana'],
	extra: Partial<INode> = { continueOnFail: true },
) {
	return {
		nodes: [
			node('Start', TRIGGER_TYPE),
			node('Items', ITEMS_TYPE, { items: JSON.stringify(prompts.map((prompt) => ({ prompt }))) }),
			node(
				'Request',
				REQUEST_TYPE,
				{
					method: 'POST',
					url: sandbox.gateway.endpoint,
					sendBody: true,
					contentType: 'json',
					specifyBody: 'keypair',
					bodyParameters: { parameters: [{ name: 'prompt', value: '={{ $json.prompt }}' }] },
					options,
				},
				{ credentials: { x402WalletApi: { id: '1', name: 'w' } }, ...extra },
			),
		],
		connections: connectInLine('Start', 'Items', 'Request'),
	};
}
const run = async (
	workflow: ReturnType<typeof flow>,
	payer: number,
	credential: Record<string, string | number> = {},
	more: Parameters<typeof runWorkflow>[1] = {},
) =>
	await runWorkflow(workflow, {
		credentials: { x402WalletApi: walletCredential(sandbox, payer, credential) },
		...more,
	});

it('Expected Recipient, Budget per Execution, Max Spend per 24 Hours and the balance refuse unsigned', async () => {
	const before = await transfers();
	const pinned = jsonOf(
		(await run(flow({ expectedPayTo: '0x0000000000000000000000000000000000000001' }), 0)).output(
			'Request',
		),
	)[0];
	expect(pinned).toMatchObject({ rule: 'recipient', signed: false });
	const budget = jsonOf((await run(flow({ budgetUsdc: 0.06 }, ['a', 'b']), 0)).output('Request'));
	expect(budget[0].payment).toMatchObject({ settlement: 'charged' });
	expect(budget[1]).toMatchObject({ rule: 'budget', signed: false });
	const daily = jsonOf((await run(flow(), 1, { maxSpend24hUsdc: 0.01 })).output('Request'))[0];
	expect(daily).toMatchObject({ rule: 'daily limit', signed: false });
	const { generatePrivateKey } = await import('viem/accounts');
	const empty = jsonOf(
		(await run(flow(), 0, { privateKey: generatePrivateKey() })).output('Request'),
	)[0];
	expect(empty).toMatchObject({ rule: 'balance', signed: false });
	expect(await transfers()).toBe(before + 1);
});

it("paid once: an Idempotency Key across executions, and n8n's Retry of an execution", async () => {
	const before = await transfers();
	const keyed = flow({ idempotencyKey: '={{ "order-" + $json.prompt }}' }, ['42']);
	const first = jsonOf((await run(keyed, 2)).output('Request'))[0];
	expect(first.payment).toMatchObject({ settlement: 'charged' });
	const again = jsonOf((await run(keyed, 2)).output('Request'))[0];
	expect(again).toMatchObject({
		errorKind: 'already paid',
		transaction: (first.payment as Record<string, unknown>).transaction,
	});
	// A Retry of an execution whose item was paid (the worker died before saving it): not paid again.
	const plain = flow({}, ['retried']);
	await run(plain, 3, {}, { executionId: 'x402-original' });
	const retry = jsonOf(
		(await run(plain, 3, {}, { executionId: 'x402-retry', retryOf: 'x402-original' })).output(
			'Request',
		),
	)[0];
	expect(retry).toMatchObject({ errorKind: 'already paid' });
	expect(await transfers()).toBe(before + 2);
});

it('Retry On Fail after a failure past signing never signs again; the chain says it was charged', async () => {
	sandbox.gateway.faults.afterSettle = 'error';
	const before = await transfers();
	const result = await run(
		flow({}, ['boom'], { retryOnFail: true, maxTries: 3, waitBetweenTries: 0 }),
		4,
	);
	// The node ran three times; the call was signed and sent once, and each later try said so.
	expect(result.error?.message).toMatch(
		/already signed for in an earlier try of this execution \(Retry On Fail\)/,
	);
	expect(sandbox.gateway.paymentHeaders).toHaveLength(1);
	expect(await transfers()).toBe(before + 1);
});

it('a redirect of the paid request is refused, never followed; a server that never answers fails in time', async () => {
	sandbox.gateway.faults.paidRedirect = 'http://127.0.0.1:9/collect';
	const [redirected] = jsonOf((await run(flow(), 5)).output('Request'));
	expect(String(redirected.error)).toMatch(
		/redirect \(HTTP 307\) to http:\/\/127\.0\.0\.1:9\/collect; payment and chain requests never follow redirects/,
	);
	expect(redirected).toMatchObject({ signed: true });
	sandbox.gateway.reset();
	sandbox.gateway.faults.beforeSettle = 'hang';
	const started = Date.now();
	const [slow] = jsonOf((await run(flow({ requestTimeoutSeconds: 1 }), 5)).output('Request'));
	expect(Date.now() - started).toBeLessThan(15_000);
	expect(String(slow.error)).toMatch(/No complete answer .* within 1 s/);
	expect(slow).toMatchObject({ signed: true, settlement: 'not charged' });
});

it("writes the payment lines to n8n's log before the header leaves, and no key anywhere", async () => {
	const logged: string[] = [];
	const spy = jest.spyOn(n8nLogger(), 'info').mockImplementation((message: string) => {
		logged.push(message);
		if (message.includes('payment signed') && sandbox.gateway.paymentHeaders.length > 0)
			logged.push('LATE');
	});
	let result;
	try {
		result = await run(flow({}, ['logged']), 0);
	} finally {
		spy.mockRestore();
	}
	expect(logged.filter((l) => l.includes('payment signed, about to be sent'))).toHaveLength(1);
	expect(logged).not.toContain('LATE');
	expect(logged.some((l) => /payment charged, transaction 0x[0-9a-f]{64}/.test(l))).toBe(true);
	expectNoKey([result.run, logged], sandbox.payers[0].key);
});
