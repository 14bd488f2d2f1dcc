/**
 * The payment core against the local money path: a real (local) Base chain with
 * Circle's USDC, the official x402 facilitator, a Dopamint-shaped gateway.
 * Every claim is checked on-chain.
 */
import { startSandbox, type Sandbox } from '../../sandbox';
import type { Gateway } from '../../sandbox/gateway';
import { NanoBananaError } from '../../nodes/shared/errors';
import { fetchHttp } from '../../nodes/shared/transports';
import { PaymentSession } from '../../nodes/shared/x402/session';
import { Budget } from '../../nodes/shared/x402/controls';
import { walletFromCredential, type Wallet } from '../../nodes/shared/x402/wallet/credential';
import { expectNoKey, walletCredential } from '../helpers';

const PAY_TO = '0x5054acbbdd6aed95231cbe833f7bf1db7c248bff';
let sandbox: Sandbox;
let v2: Gateway;

beforeAll(async () => {
	sandbox = await startSandbox({ chain: { payers: 4 } });
	v2 = await sandbox.startGateway({ version: 2 });
});
afterAll(async () => await sandbox?.close());
beforeEach(() => {
	sandbox.gateway.reset();
	v2.reset();
});

function wallet(index = 0, extra: Record<string, string | number | boolean> = {}): Wallet {
	return walletFromCredential(walletCredential(sandbox, index, extra));
}

function session(w = wallet(), budget?: Budget) {
	return new PaymentSession({ http: fetchHttp(), wallet: w, budget });
}

async function balances(index = 0) {
	return {
		payer: await sandbox.chain.usdcBalance(sandbox.payers[index].address),
		payTo: await sandbox.chain.usdcBalance(PAY_TO),
	};
}

async function failure(promise: Promise<unknown>): Promise<NanoBananaError> {
	try {
		await promise;
	} catch (error) {
		return error as NanoBananaError;
	}
	throw new Error('expected the payment to fail');
}

describe.each([
	['v1', () => sandbox.gateway],
	['v2', () => v2],
])('a paid call (%s server)', (version, gatewayOf) => {
	it('moves exactly 52700 from payer to payTo and the receipt matches the chain', async () => {
		const gateway = gatewayOf();
		const before = await balances(0);
		const transfersBefore = (await sandbox.chain.transfers(PAY_TO)).length;
		const answer = await session().pay({
			url: gateway.endpoint,
			body: { prompt: `hello ${version}` },
		});
		const after = await balances(0);

		expect(answer.status).toBe(200);
		expect(answer.body).toMatchObject({
			jobId: expect.any(String),
			statusUrl: expect.stringContaining('/status/'),
		});
		expect(before.payer - after.payer).toBe(52_700n);
		expect(after.payTo - before.payTo).toBe(52_700n);

		const transfers = (await sandbox.chain.transfers(PAY_TO)).slice(transfersBefore);
		expect(transfers).toHaveLength(1);
		const receipt = answer.receipt!;
		expect(receipt).toMatchObject({
			x402Version: version === 'v1' ? 1 : 2,
			network: version === 'v1' ? 'base' : 'eip155:8453',
			asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
			amountAtomic: '52700',
			amountUsdc: '0.0527',
			payTo: PAY_TO,
			settlement: 'charged',
			serverSettlement: 'success',
			transactionOnChain: 'success',
			quoteReused: false,
		});
		expect(receipt.payer.toLowerCase()).toBe(sandbox.payers[0].address.toLowerCase());
		expect(receipt.transaction).toBe(transfers[0].tx);
		expect(transfers[0].from.toLowerCase()).toBe(receipt.payer.toLowerCase());
		expect(transfers[0].value).toBe(52_700n);
		expect(receipt.nonce).toMatch(/^0x[0-9a-f]{64}$/);
		expect(gateway.counts).toMatchObject({ unpaid: 1, paid: 1 });
		expectNoKey(answer, sandbox.payers[0].key);
	});
});

it('reuses the quote for later calls in the same session: one request per image', async () => {
	const s = session(wallet(1));
	for (let i = 0; i < 5; i++)
		await s.pay({ url: sandbox.gateway.endpoint, body: { prompt: `image ${i}` } });
	expect(sandbox.gateway.counts).toMatchObject({ unpaid: 1, paid: 5, settled: 5 });
});

it('shares one unpaid request between concurrent calls', async () => {
	const s = session(wallet(1));
	const answers = await Promise.all(
		Array.from({ length: 6 }, (_, i) =>
			s.pay({ url: sandbox.gateway.endpoint, body: { prompt: `c${i}` } }),
		),
	);
	expect(answers.every((a) => a.receipt?.settlement === 'charged')).toBe(true);
	expect(sandbox.gateway.counts).toMatchObject({ unpaid: 1, paid: 6 });
	expect(answers.filter((a) => a.receipt?.quoteReused)).toHaveLength(5);
});

it('a refused reused quote fails that call without a second signature; later calls ask for their own quote', async () => {
	sandbox.gateway.faults.priceChangeAfter = 1;
	sandbox.gateway.faults.newPrice = 52_800n;
	const before = (await sandbox.chain.transfers(PAY_TO)).length;
	const s = session(wallet(1), new Budget(1_000_000n));
	const first = await s.pay({ url: sandbox.gateway.endpoint, body: { prompt: 'one' } });
	const error = await failure(s.pay({ url: sandbox.gateway.endpoint, body: { prompt: 'two' } }));
	expect(error.kind).toBe('payment');
	expect(error.details.settlement).toBe('not charged');
	expect(error.message).toMatch(
		/refused the payment \(HTTP 402.*\)\. It was signed for a reused quote; later items ask for a fresh one/,
	);
	expect(sandbox.gateway.counts).toMatchObject({ unpaid: 1, paid: 2, settled: 1 });
	const third = await s.pay({ url: sandbox.gateway.endpoint, body: { prompt: 'three' } });
	const fourth = await s.pay({ url: sandbox.gateway.endpoint, body: { prompt: 'four' } });
	expect(
		[first, third, fourth].map((a) => [a.receipt?.amountAtomic, a.receipt?.quoteReused]),
	).toEqual([
		['52700', false],
		['52800', false],
		['52800', false],
	]);
	const transfers = (await sandbox.chain.transfers(PAY_TO)).slice(before);
	expect(transfers.map((t) => t.value)).toEqual([52_700n, 52_800n, 52_800n]);
	// Exactly one signature per call: the refused one was sent once and never replaced.
	expect(sandbox.gateway.counts).toMatchObject({ unpaid: 3, paid: 4, settled: 3 });
	// The refused signature stays counted: it is valid until it expires.
	expect(s.budget.spentAtomic).toBe(52_700n + 52_700n + 52_800n + 52_800n);
});

it('does not sign again when a refused reused quote cannot be checked on-chain', async () => {
	sandbox.gateway.faults.priceChangeAfter = 1;
	sandbox.gateway.faults.newPrice = 52_800n;
	const s = session(wallet(1, { rpcUrl: 'http://127.0.0.1:9' }));
	await s.pay({ url: sandbox.gateway.endpoint, body: { prompt: 'one' } });
	const error = await failure(s.pay({ url: sandbox.gateway.endpoint, body: { prompt: 'two' } }));
	expect(error.kind).toBe('payment');
	expect(error.details.settlement).toBe('unknown');
	expect(error.message).toMatch(/refused the payment \(HTTP 402/);
	expect(sandbox.gateway.counts).toMatchObject({ unpaid: 1, paid: 2, settled: 1 });
});

describe('policy refusals sign nothing and move nothing', () => {
	it.each([
		[
			'max price (caller cap)',
			() => ({ limits: { maxAtomic: 50_000n } }),
			{},
			/"max price" rule: the service asks 0\.0527 USDC, the limit is 0\.05 USDC \(Max Price per Image\)/,
		],
		[
			'max price (credential cap)',
			() => ({}),
			{ maxPaymentUsdc: 0.05 },
			/"max price" rule: .*limit is 0\.05 USDC \(Max Payment per Request in the credential\)/,
		],
		[
			'recipient',
			() => ({ limits: { payTo: '0x000000000000000000000000000000000000dEaD' } }),
			{},
			/"recipient" rule: .*0x5054acbbdd6aed95231cbe833f7bf1db7c248bff.*0x000000000000000000000000000000000000dEaD/,
		],
		[
			'network',
			() => ({}),
			{ network: 'base-sepolia' },
			/"network" rule: the service wants payment on "base", the credential pays on "base-sepolia"/,
		],
	])('%s', async (_rule, request, credential, message) => {
		const before = await balances(2);
		const error = await failure(
			session(wallet(2, credential)).pay({
				url: sandbox.gateway.endpoint,
				body: { prompt: 'x' },
				...request(),
			}),
		);
		expect(error).toBeInstanceOf(NanoBananaError);
		expect(error.kind).toBe('policy');
		expect(error.message).toMatch(message);
		expect(error.message).toMatch(/Nothing was signed or paid/);
		expect(sandbox.gateway.paymentHeaders).toHaveLength(0);
		expect(await balances(2)).toEqual(before);
	});

	it('asset: refuses a quote for another token', async () => {
		const other = await sandbox.startGateway({
			asset: '0x4200000000000000000000000000000000000006',
		});
		const error = await failure(
			session(wallet(2)).pay({ url: other.endpoint, body: { prompt: 'x' } }),
		);
		expect(error.message).toMatch(
			/"asset" rule: the service asks for asset 0x4200000000000000000000000000000000000006, not USDC/,
		);
		expect(other.paymentHeaders).toHaveLength(0);
		await other.close();
	});

	it('budget: the call that would pass the budget fails before signing', async () => {
		const before = await balances(2);
		const s = session(wallet(2), new Budget(100_000n));
		await s.pay({ url: sandbox.gateway.endpoint, body: { prompt: 'fits' } });
		const error = await failure(
			s.pay({ url: sandbox.gateway.endpoint, body: { prompt: 'too much' } }),
		);
		expect(error.message).toMatch(
			/"budget" rule: paying 0\.0527 USDC would bring this execution's spending to 0\.1054 USDC, over the budget of 0\.1 USDC/,
		);
		expect(sandbox.gateway.paymentHeaders).toHaveLength(1);
		expect(before.payer - (await balances(2)).payer).toBe(52_700n);
	});
});

it('a failed payment stays counted in the budget even when the chain says "not charged" (the signature is still valid)', async () => {
	sandbox.gateway.faults.beforeSettle = 'error';
	const s = session(wallet(2), new Budget(100_000n));
	const first = await failure(s.pay({ url: sandbox.gateway.endpoint, body: { prompt: 'fails' } }));
	expect(first.details.settlement).toBe('not charged');
	sandbox.gateway.faults.beforeSettle = undefined;
	const second = await failure(
		s.pay({ url: sandbox.gateway.endpoint, body: { prompt: 'over budget' } }),
	);
	expect(second.message).toMatch(
		/"budget" rule: paying 0\.0527 USDC would bring this execution's spending to 0\.1054 USDC/,
	);
	expect(sandbox.gateway.paymentHeaders).toHaveLength(1);
});

it('refuses with the balance and the price when USDC is short, signing nothing', async () => {
	const poor = walletFromCredential({
		...walletCredential(sandbox, 0),
		privateKey: `0x${'1'.repeat(63)}2`,
	});
	const error = await failure(
		session(poor).pay({ url: sandbox.gateway.endpoint, body: { prompt: 'x' } }),
	);
	expect(error).toMatchObject({ kind: 'policy', rule: 'balance' });
	expect(error.message).toMatch(
		/"balance" rule: insufficient USDC: the wallet held 0\.0 USDC when this run started, and this payment of 0\.0527 USDC/,
	);
	expect(sandbox.gateway.paymentHeaders).toHaveLength(0);
});

describe('faults after signing: "may have been taken", with the on-chain verdict, never retried', () => {
	it.each([
		[
			'500 before settling',
			{ beforeSettle: 'error' },
			'not charged',
			/HTTP 500 to the paid request/,
		],
		[
			'settlement fails',
			{ settleFails: true },
			'not charged',
			/refused the payment \(HTTP 402: settlement failed/,
		],
		[
			'402 on the paid retry',
			{ refusePaid: true },
			'not charged',
			/refused the payment \(HTTP 402/,
		],
		['500 after settling', { afterSettle: 'error' }, 'charged', /HTTP 500 to the paid request/],
		['garbled answer after settling', { afterSettle: 'garbled' }, 'charged', /not JSON/],
		['hang before settling', { beforeSettle: 'hang' }, 'not charged', /The paid request failed/],
		['hang after settling', { afterSettle: 'hang' }, 'charged', /The paid request failed/],
	] as const)('%s', async (_case, faults, verdict, message) => {
		Object.assign(sandbox.gateway.faults, faults);
		const before = await balances(3);
		const transfersBefore = (await sandbox.chain.transfers(PAY_TO)).length;
		const error = await failure(
			session(wallet(3)).pay({
				url: sandbox.gateway.endpoint,
				body: { prompt: 'fault' },
				timeoutMs: 1_500,
			}),
		);
		const after = await balances(3);

		expect(error.kind).toBe('payment');
		expect(error.message).toMatch(message);
		expect(error.details).toMatchObject({
			settlement: verdict,
			payTo: PAY_TO,
			amountAtomic: '52700',
			amountUsdc: '0.0527',
			nonce: expect.stringMatching(/^0x[0-9a-f]{64}$/),
		});
		expect((error.details.payer as string).toLowerCase()).toBe(
			sandbox.payers[3].address.toLowerCase(),
		);
		expect(error.message).toMatch(verdict === 'charged' ? /WAS taken/ : /was NOT taken/);
		expect(sandbox.gateway.counts.paid).toBe(1); // never retried
		const transfers = (await sandbox.chain.transfers(PAY_TO)).slice(transfersBefore);
		expect(transfers).toHaveLength(verdict === 'charged' ? 1 : 0); // never two
		expect(before.payer - after.payer).toBe(verdict === 'charged' ? 52_700n : 0n);
		expectNoKey(error, sandbox.payers[3].key);
	});

	it('says "unknown" when the RPC cannot be asked', async () => {
		sandbox.gateway.faults.afterSettle = 'error';
		const error = await failure(
			session(wallet(3, { rpcUrl: 'http://127.0.0.1:9' })).pay({
				url: sandbox.gateway.endpoint,
				body: { prompt: 'x' },
			}),
		);
		expect(error.details.settlement).toBe('unknown');
		expect(error.message).toMatch(/may have been taken: it could not be checked on-chain/);
		expect(sandbox.gateway.counts.paid).toBe(1);
	});

	it('a body the service rejects after the signature is reported, not charged', async () => {
		const error = await failure(
			session(wallet(3)).pay({
				url: sandbox.gateway.endpoint,
				body: { prompt: 'x', aspect_ratio: '7:3' },
			}),
		);
		expect(error.message).toMatch(/HTTP 400 to the paid request/);
		expect(error.details.settlement).toBe('not charged');
	});
});

it('quotes without signing', async () => {
	const { outcome } = await session().preview({
		url: sandbox.gateway.endpoint,
		body: { prompt: 'price?' },
	});
	expect(outcome.kind).toBe('quote');
	if (outcome.kind !== 'quote') return;
	expect(outcome.quote.accepts[0]).toMatchObject({
		scheme: 'exact',
		network: 'base',
		amountAtomic: 52_700n,
		payTo: PAY_TO,
		maxTimeoutSeconds: 300,
	});
	expect(sandbox.gateway.paymentHeaders).toHaveLength(0);
});

it('reports a gateway error before payment without signing', async () => {
	const error = await failure(
		session().pay({ url: `${sandbox.gateway.url}/nope`, body: { prompt: 'x' } }),
	);
	expect(error.kind).toBe('gateway');
	expect(error.httpStatus).toBe(404);
	expect(error.message).toMatch(/Nothing was signed or paid/);
});
