/**
 * Chain-enforced idempotency on the local chain with Circle's USDC and the official x402
 * facilitator: every try of one call signs the same nonce, so the token contract settles it
 * at most once, whatever n8n remembers (a worker that died, a Retry, the same request sent
 * again). And the record that outlives the worker: n8n's log before the header leaves.
 */
import { startSandbox, type Sandbox } from '../../sandbox';
import { createFacilitator } from '../../sandbox/facilitator';
import {
	connectInLine,
	GENERATE_TOOL_TYPE,
	n8nLogger,
	node,
	runWorkflow,
	TOOL_HOST_TYPE,
	TRIGGER_TYPE,
} from '../../harness/engine';
import { AlreadyPaidError, PaymentError } from '../../nodes/shared/x402/protocol/payment';
import { fetchHttp } from '../../nodes/shared/transports';
import type { PaymentCall } from '../../nodes/shared/x402/once/call';
import { Budget } from '../../nodes/shared/x402/controls';
import { PaymentSession } from '../../nodes/shared/x402/session';
import { walletFromCredential } from '../../nodes/shared/x402/wallet/credential';
import { expectNoKey, generateFlow, jsonOf, walletCredential } from '../helpers';

const PAY_TO = '0x5054acbbdd6aed95231cbe833f7bf1db7c248bff';
let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startSandbox({ chain: { payers: 8 }, gateway: { jobDurationMs: 100 } });
});
afterAll(async () => await sandbox?.close());
beforeEach(() => sandbox.gateway.reset());

const transfers = async () => (await sandbox.chain.transfers(PAY_TO)).length;
const session = (payer: number, budget?: Budget) =>
	new PaymentSession({
		http: fetchHttp(),
		wallet: walletFromCredential(walletCredential(sandbox, payer)),
		budget,
	});
const call = (key: string, mayRepeat: boolean): PaymentCall => ({
	key: JSON.stringify(['idempotency key', 'wf', 'node', key]),
	mayRepeat,
});
const nonceOf = (header: string) =>
	(
		JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as {
			payload: { authorization: { nonce: string } };
		}
	).payload.authorization.nonce;

/** Settles a payment header the gateway received, later, through the official facilitator: whether it moved money. */
async function settleLater(header: string): Promise<boolean> {
	const { facilitator } = createFacilitator(sandbox.chain);
	const requirement = {
		scheme: 'exact',
		network: 'base',
		maxAmountRequired: '52700',
		resource: sandbox.gateway.endpoint,
		description: '',
		mimeType: 'application/json',
		payTo: PAY_TO,
		maxTimeoutSeconds: 300,
		asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
		extra: { name: 'USD Coin', version: '2' },
	};
	const payload = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
	const settled = await facilitator
		.settle(payload, requirement as never)
		.catch(() => ({ success: false }));
	return settled.success;
}

async function failure<T>(promise: Promise<unknown>): Promise<T> {
	try {
		await promise;
	} catch (error) {
		return error as T;
	}
	throw new Error('expected a failure');
}

describe('one call, several tries', () => {
	it('a first try that was never settled and a second try pay exactly once; the token refuses to settle the first afterwards', async () => {
		const before = await transfers();
		// The first try: the service verifies the payment, then fails before settling (a worker
		// that died after sending would leave the same: a valid, unsettled authorization).
		sandbox.gateway.faults.beforeSettle = 'error';
		const first = await failure<PaymentError>(
			session(0).pay({
				url: sandbox.gateway.endpoint,
				body: { prompt: 'once' },
				call: call('row-1', false),
			}),
		);
		expect(first).toBeInstanceOf(PaymentError);
		expect(first.settlement).toBe('not charged');
		const firstHeader = sandbox.gateway.paymentHeaders[0];

		// The second try, in a new session (another execution, another process): same key, same nonce.
		sandbox.gateway.faults.beforeSettle = undefined;
		const second = await session(0).pay({
			url: sandbox.gateway.endpoint,
			body: { prompt: 'once' },
			call: call('row-1', true),
		});
		expect(second.receipt?.settlement).toBe('charged');
		expect(nonceOf(sandbox.gateway.paymentHeaders[1])).toBe(nonceOf(firstHeader));
		expect(await transfers()).toBe(before + 1);

		// The first try's authorization is still within its validity: settling it now is refused
		// by the token contract (the official facilitator asks it), and moves nothing.
		expect(await settleLater(firstHeader)).toBe(false);
		expect(await transfers()).toBe(before + 1);
	});

	it('the token contract itself refuses a second transferWithAuthorization of a used nonce', async () => {
		const before = await transfers();
		await session(1).pay({
			url: sandbox.gateway.endpoint,
			body: { prompt: 'first' },
			call: call('row-2', false),
		});
		const header = sandbox.gateway.paymentHeaders[0];
		const { payload } = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as {
			payload: { authorization: Record<string, string>; signature: `0x${string}` };
		};
		const a = payload.authorization;
		// Submitted straight to USDC by anyone (the facilitator's account here): the contract reverts.
		const { createWalletClient, custom } = await import('viem');
		const { privateKeyToAccount } = await import('viem/accounts');
		const { base } = await import('viem/chains');
		const { USDC, USDC_ABI } = await import('../../sandbox/chain');
		const wallet = createWalletClient({
			account: privateKeyToAccount(sandbox.chain.facilitatorKey),
			chain: base,
			transport: custom(sandbox.chain.provider),
		});
		const resubmit = wallet.writeContract({
			address: USDC,
			abi: USDC_ABI,
			functionName: 'transferWithAuthorization',
			args: [
				a.from,
				a.to,
				BigInt(a.value),
				BigInt(a.validAfter),
				BigInt(a.validBefore),
				a.nonce,
				payload.signature,
			],
		} as never);
		await expect(resubmit).rejects.toThrow(/authorization is used or canceled/);
		expect(await transfers()).toBe(before + 1);
	});

	it('a call tried again after it was paid is reported "already paid" with its transaction, and nothing is signed', async () => {
		const paid = await session(2).pay({
			url: sandbox.gateway.endpoint,
			body: { prompt: 'paid once' },
			call: call('row-3', true),
		});
		const before = await transfers();
		const budget = new Budget(1_000_000n);
		const again = await failure<AlreadyPaidError>(
			session(2, budget).pay({
				url: sandbox.gateway.endpoint,
				body: { prompt: 'paid once' },
				call: call('row-3', true),
			}),
		);
		expect(again).toBeInstanceOf(AlreadyPaidError);
		expect(again.signed).toBe(false);
		expect(again.earlier).toMatchObject({
			transaction: paid.receipt?.transaction,
			nonce: paid.receipt?.nonce,
			payTo: PAY_TO,
			amountUsdc: '0.0527',
			paymentKey: call('row-3', true).key,
		});
		expect(again.message).toMatch(
			/^Already paid: an earlier try of this call paid for it \(0\.0527 USDC\); the token contract marks its payment nonce 0x[0-9a-f]{64} as used in transaction 0x[0-9a-f]{64} \(\d{4}-.*\)\. Nothing was signed or paid now\.$/,
		);
		expect(sandbox.gateway.counts.paid).toBe(1); // only the first call's paid request
		expect(await transfers()).toBe(before);
		expect(budget.spentAtomic).toBe(0n);
	});

	it('two tries of one call at the same moment (the same request sent twice): one transfer, the other is told the call is paid, with the transaction', async () => {
		const before = await transfers();
		sandbox.gateway.options.latencyMs = 50;
		try {
			const results = await Promise.allSettled(
				[0, 1].map(
					async () =>
						await session(3).pay({
							url: sandbox.gateway.endpoint,
							body: { prompt: 'twice' },
							call: call('row-4', false),
						}),
				),
			);
			expect(await transfers()).toBe(before + 1);
			const ok = results.filter((r) => r.status === 'fulfilled');
			const refused = results
				.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
				.map((r) => r.reason as PaymentError);
			expect(ok).toHaveLength(1);
			expect(refused).toHaveLength(1);
			const transfer = (await sandbox.chain.transfers(PAY_TO)).slice(before)[0];
			// Never an unknown failure: the chain's verdict and the transaction of the one payment.
			expect(refused[0]).toBeInstanceOf(PaymentError);
			expect(refused[0].settlement).toBe('charged');
			expect(refused[0].transaction).toBe(transfer.tx);
			expect(refused[0].message).toMatch(/WAS taken, once .* in transaction 0x/);
		} finally {
			sandbox.gateway.options.latencyMs = undefined;
		}
	});
});

describe('in the engine: the Idempotency Key option', () => {
	const flow = (
		items: Array<Record<string, unknown>>,
		extra: Record<string, string | number | boolean> = {},
	) =>
		generateFlow({
			endpoint: sandbox.gateway.endpoint,
			items,
			generate: { options: { idempotencyKey: '={{ $json.id }}', concurrency: 4, ...extra } },
			generateExtra: { onError: 'continueRegularOutput' },
		});

	it('the same request sent again pays nothing: each item says "already paid" with its transaction', async () => {
		const credentials = { x402WalletApi: walletCredential(sandbox, 4) };
		const items = [
			{ id: 'req-1/a', prompt: 'a banana at dawn' },
			{ id: 'req-1/b', prompt: 'a banana at noon' },
		];
		const before = await transfers();
		const first = await runWorkflow(flow(items), { credentials });
		const paid = jsonOf(first.output('Generate'));
		expect(paid.map((j) => (j.payment as Record<string, unknown>).settlement)).toEqual([
			'charged',
			'charged',
		]);
		expect(await transfers()).toBe(before + 2);

		const paidRequests = sandbox.gateway.counts.paid;
		const again = await runWorkflow(flow(items), { credentials });
		expect(again.status).toBe('success');
		const out = jsonOf(again.output('Generate'));
		expect(out.map((j) => j.errorKind)).toEqual(['already paid', 'already paid']);
		out.forEach((json, i) => {
			const payment = paid[i].payment as Record<string, unknown>;
			expect(json).toMatchObject({
				alreadyPaid: true,
				signed: false,
				settlement: 'charged',
				transaction: payment.transaction,
				nonce: payment.nonce,
			});
			expect(json.error).toMatch(/^Already paid/);
			expect(json.hint).toMatch(/Idempotency Key/);
		});
		expect(sandbox.gateway.counts.paid).toBe(paidRequests);
		expect(await transfers()).toBe(before + 2);
		expectNoKey(again.run, sandbox.payers[4].key);
	});

	it("two items with the same key in one run: one payment, the second item gets the first one's job", async () => {
		const before = await transfers();
		const result = await runWorkflow(
			flow([
				{ id: 'dup', prompt: 'one banana' },
				{ id: 'dup', prompt: 'one banana' },
				{ id: 'other', prompt: 'another banana' },
			]),
			{ credentials: { x402WalletApi: walletCredential(sandbox, 5) } },
		);
		const [a, b, c] = jsonOf(result.output('Generate'));
		expect(await transfers()).toBe(before + 2);
		expect(b.jobId).toBe(a.jobId);
		expect(b.fromEarlierTry).toBe(true);
		expect(c.jobId).not.toBe(a.jobId);
	});

	it('an empty key for an item fails that item naming the field, and pays nothing for it', async () => {
		const before = await transfers();
		const result = await runWorkflow(flow([{ id: '', prompt: 'no id' }]), {
			credentials: { x402WalletApi: walletCredential(sandbox, 5) },
		});
		expect(jsonOf(result.output('Generate'))[0]).toMatchObject({
			error: expect.stringMatching(/^Idempotency Key: is empty for this item/),
			signed: false,
		});
		expect(await transfers()).toBe(before);
	});
});

describe("in the engine: n8n's Retry of an execution that died while paying", () => {
	it('pays every item exactly once over the execution and its Retry; the Retry reports the paid ones with their transactions and logs every payment', async () => {
		const credentials = { x402WalletApi: walletCredential(sandbox, 6) };
		const items = ['dawn', 'noon', 'dusk', 'night'].map((t) => ({ prompt: `a banana at ${t}` }));
		const workflow = generateFlow({
			endpoint: sandbox.gateway.endpoint,
			items,
			generate: { options: { concurrency: 4, requestTimeoutSeconds: 2 } },
			generateExtra: { onError: 'continueRegularOutput' },
		});
		const before = await transfers();
		// The first execution: three items are paid and answered; "dusk" is signed and sent, but the
		// service holds it unsettled (as a worker that died mid-request leaves it: valid, not settled).
		sandbox.gateway.faults.onlyPrompt = 'a banana at dusk';
		sandbox.gateway.faults.beforeSettle = 'hang';
		const original = await runWorkflow(workflow, { credentials, executionId: 'exec-original' });
		expect(await transfers()).toBe(before + 3);
		const originalOut = jsonOf(original.output('Generate'));
		expect(originalOut[2]).toMatchObject({ signed: true, settlement: 'not charged' });
		const duskHeader = sandbox.gateway.paymentHeaders.find(
			(h) => nonceOf(h) === originalOut[2].nonce,
		) as string;

		// The worker died: nothing of Generate was saved (no node context, no output). n8n's Retry
		// runs the node again in a new execution that names the original (retryOf).
		sandbox.gateway.reset();
		const logged: string[] = [];
		const spy = jest.spyOn(n8nLogger(), 'info').mockImplementation((message: string) => {
			logged.push(message);
			// "Before a payment header leaves": when the signed line is written, the service has not seen that nonce.
			const nonce = /nonce (0x[0-9a-f]{64})/.exec(message)?.[1];
			if (
				message.includes('payment signed') &&
				sandbox.gateway.paymentHeaders.some((h) => nonceOf(h) === nonce)
			)
				logged.push('LATE');
		});
		let retry;
		try {
			retry = await runWorkflow(workflow, {
				credentials,
				executionId: 'exec-retry',
				retryOf: 'exec-original',
			});
		} finally {
			spy.mockRestore();
		}
		const out = jsonOf(retry.output('Generate'));
		const chainTransfers = (await sandbox.chain.transfers(PAY_TO)).slice(before);
		// dawn, noon and night were paid by the original: reported with their transactions, not paid again.
		for (const i of [0, 1, 3]) {
			expect(out[i]).toMatchObject({
				errorKind: 'already paid',
				transaction: (originalOut[i].payment as Record<string, unknown>).transaction,
			});
			expect(chainTransfers.map((t) => t.tx)).toContain(out[i].transaction);
		}
		// dusk's first authorization was never settled: the Retry signs the same nonce, and it is paid once.
		expect(out[2]).toMatchObject({
			jobId: expect.any(String),
			payment: { settlement: 'charged', nonce: originalOut[2].nonce },
		});
		expect(sandbox.gateway.counts.paid).toBe(1);
		expect(await transfers()).toBe(before + 4);
		// The original's unsettled authorization can no longer move money.
		expect(await settleLater(duskHeader)).toBe(false);
		expect(await transfers()).toBe(before + 4);

		// The record: three "already paid" lines, and for dusk a "payment signed" line written before its header left, then its settlement.
		expect(logged).not.toContain('LATE');
		expect(logged.filter((l) => l.includes('already paid, not signed again'))).toHaveLength(3);
		const signed = logged.find((l) => l.includes('payment signed'));
		expect(signed).toMatch(
			new RegExp(
				`^n8n-nodes-nano-banana: payment signed, about to be sent: 0\\.0527 USDC from 0x[0-9a-fA-F]{40} to ${PAY_TO} on base, nonce ${String(originalOut[2].nonce)}, valid until \\d{4}-.*; workflow test-workflow, execution exec-retry \\(retry of exec-original\\), node "Generate", item 2; payment key \\["item","test-workflow","exec-original","Generate",0,2\\]$`,
			),
		);
		expect(logged.find((l) => l.includes('payment charged'))).toMatch(
			/payment charged, transaction 0x[0-9a-f]{64} \(answered\)/,
		);
		expectNoKey(logged, sandbox.payers[6].key);
	});
});

describe("as a tool, through n8n's own tool wrapper (the MCP Server Trigger's path), with Retry On Fail", () => {
	it('a call that fails after paying is paid once, and the model is told so (with the transaction) instead of the call being tried again', async () => {
		sandbox.gateway.faults.afterSettle = 'error';
		const before = await transfers();
		const result = await runWorkflow(
			{
				nodes: [
					node('Start', TRIGGER_TYPE),
					node('Agent', TOOL_HOST_TYPE, {
						calls: JSON.stringify([
							{ tool: 'Nano_Banana', args: { prompt: 'a banana for an agent' } },
						]),
					}),
					node(
						'Nano Banana',
						GENERATE_TOOL_TYPE,
						{
							prompt: "={{ $fromAI('prompt', 'What the image shows', 'string') }}",
							options: { endpointUrl: sandbox.gateway.endpoint },
						},
						{
							credentials: { x402WalletApi: { id: '1', name: 'w' } },
							retryOnFail: true,
							maxTries: 3,
							waitBetweenTries: 0,
						},
					),
				],
				connections: {
					...connectInLine('Start', 'Agent'),
					'Nano Banana': { ai_tool: [[{ node: 'Agent', type: 'ai_tool', index: 0 }]] },
				},
			},
			{ credentials: { x402WalletApi: walletCredential(sandbox, 7) } },
		);
		expect(result.status).toBe('success');
		// A tool's failure is its answer (the agent goes on), so n8n's wrapper has nothing to retry;
		// were it retried, each try would get a new run index and the same key (test/unit/calls.test.ts).
		expect(result.run.data.resultData.runData['Nano Banana']).toHaveLength(1);
		expect(sandbox.gateway.counts.paid).toBe(1);
		expect(await transfers()).toBe(before + 1);
		const [call] = jsonOf(result.output('Agent'));
		const [answer] = JSON.parse(String(call.answer)) as Array<Record<string, unknown>>;
		expect(answer).toMatchObject({
			errorKind: 'payment',
			signed: true,
			settlement: 'charged',
			transaction: expect.stringMatching(/^0x[0-9a-f]{64}$/),
		});
		expect(String(answer.error)).toMatch(/WAS taken, once/);
	});
});
