/**
 * The payment session through its seams (an HTTP function and `now`), without a chain:
 * quote reuse and expiry, the validity ceiling, the budget, and the item ledger that
 * keeps Retry On Fail from signing twice. The real chain is in test/integration.
 */
import { PaymentError } from '../../nodes/shared/x402/protocol/payment';
import type { HttpRequest, HttpResponse } from '../../nodes/shared/http';
import { memoryLedger } from '../../nodes/shared/x402/once/ledger';
import { Budget } from '../../nodes/shared/x402/controls';
import { PaymentSession } from '../../nodes/shared/x402/session';
import { walletFromCredential } from '../../nodes/shared/x402/wallet/credential';

const ENDPOINT = 'https://x402.dopamint.ai/api/ai/generations/images/nano-banana';
const wallet = walletFromCredential({
	privateKey: `0x${'ab'.repeat(32)}`,
	network: 'base',
	maxPaymentUsdc: 0.1,
	rpcUrl: 'https://rpc.invalid/',
});

function gateway(
	overrides: Record<string, unknown> = {},
	paidHeaders: Record<string, string> = {},
) {
	const requests: HttpRequest[] = [];
	let clock = 1_000_000;
	const http = async (request: HttpRequest): Promise<HttpResponse> => {
		requests.push(request);
		if (request.url.startsWith('https://rpc.invalid')) throw new Error('no RPC in unit tests');
		const paid = request.headers?.['X-PAYMENT'] ?? request.headers?.['x-payment'];
		if (!paid) {
			return {
				status: 402,
				headers: {},
				url: request.url,
				body: {
					x402Version: 1,
					accepts: [
						{
							scheme: 'exact',
							network: 'base',
							maxAmountRequired: '52700',
							resource: ENDPOINT,
							payTo: '0x5054acbbdd6aed95231cbe833f7bf1db7c248bff',
							maxTimeoutSeconds: 300,
							asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
							extra: { name: 'USD Coin', version: '2' },
							...overrides,
						},
					],
				},
			};
		}
		return {
			status: 200,
			headers: paidHeaders,
			url: request.url,
			body: { jobId: `j${requests.length}`, statusUrl: `${ENDPOINT}/status` },
		};
	};
	const session = (budget?: Budget, ledger = memoryLedger()) =>
		new PaymentSession({ http, wallet, budget, ledger, checkBalance: false, now: () => clock });
	return {
		http,
		requests,
		session,
		advance: (ms: number) => (clock += ms),
		count: (kind: 'unpaid' | 'paid') =>
			requests.filter((r) => r.url === ENDPOINT && !!r.headers?.['X-PAYMENT'] === (kind === 'paid'))
				.length,
	};
}

it('reuses a fresh quote, and asks again once it is older than its validity (at most 120 s)', async () => {
	const g = gateway();
	const s = g.session();
	await s.pay({ url: ENDPOINT, body: { prompt: 'a' } });
	await s.pay({ url: ENDPOINT, body: { prompt: 'b' } });
	expect(g.count('unpaid')).toBe(1);
	g.advance(121_000);
	const third = await s.pay({ url: ENDPOINT, body: { prompt: 'c' } });
	expect(g.count('unpaid')).toBe(2);
	expect(third.receipt?.quoteReused).toBe(false);

	const short = gateway({ maxTimeoutSeconds: 30 });
	const s2 = short.session();
	await s2.pay({ url: ENDPOINT, body: { prompt: 'a' } });
	short.advance(31_000);
	await s2.pay({ url: ENDPOINT, body: { prompt: 'b' } });
	expect(short.count('unpaid')).toBe(2);
});

it('refuses a quote asking for more than 600 s of validity, sending no payment', async () => {
	const g = gateway({ maxTimeoutSeconds: 601 });
	await expect(g.session().pay({ url: ENDPOINT, body: {} })).rejects.toThrow(/"validity" rule/);
	expect(g.count('paid')).toBe(0);
});

it('a call already signed for in this execution is reported again, never signed again', async () => {
	const g = gateway();
	const ledger = memoryLedger();
	const budget = new Budget(200_000n);
	const call = { key: '["item","wf","exec-1","node-1",0,0]', mayRepeat: false };
	await g.session(budget, ledger).pay({ url: ENDPOINT, body: { prompt: 'a' }, call });
	expect(ledger.get(call.key)).toMatchObject({
		state: 'signed',
		attempt: { amountAtomic: '52700' },
	});
	// Retry On Fail: a new session of the same execution, the same ledger and budget.
	const again = await g
		.session(budget, ledger)
		.pay({ url: ENDPOINT, body: { prompt: 'a' }, call })
		.catch((e: unknown) => e);
	expect(again).toBeInstanceOf(PaymentError);
	expect((again as PaymentError).message).toMatch(
		/already signed for in an earlier try of this execution/,
	);
	expect((again as PaymentError).settlement).toBe('unknown');
	expect(g.count('paid')).toBe(1);
	expect(budget.spentAtomic).toBe(52_700n);
});

it('the budget refuses before signing and keeps what was signed', async () => {
	const g = gateway();
	const budget = new Budget(100_000n);
	const s = g.session(budget);
	await s.pay({ url: ENDPOINT, body: {} });
	await expect(s.pay({ url: ENDPOINT, body: {} })).rejects.toThrow(
		/"budget" rule: paying 0\.0527 USDC would bring this execution's spending to 0\.1054 USDC/,
	);
	expect(g.count('paid')).toBe(1);
	expect(budget.spentAtomic).toBe(52_700n);
});

it('links the transaction on basescan when the chain is the public one, not for a local chain', async () => {
	const tx = `0x${'cd'.repeat(32)}`;
	const settled = Buffer.from(
		JSON.stringify({ success: true, transaction: tx, network: 'base' }),
	).toString('base64');
	const run = async (rpcUrl: string) => {
		const g = gateway({}, { 'x-payment-response': settled });
		// The chain, as the RPC at rpcUrl answers: the authorization is used, the transaction mined.
		const http = async (request: HttpRequest): Promise<HttpResponse> => {
			if (request.url !== rpcUrl) return await g.http(request);
			const { method } = request.body as { method: string };
			const result =
				method === 'eth_getTransactionReceipt' ? { status: '0x1' } : `0x${'1'.padStart(64, '0')}`;
			return { status: 200, headers: {}, url: rpcUrl, body: { jsonrpc: '2.0', id: 1, result } };
		};
		const w = walletFromCredential({
			privateKey: `0x${'ab'.repeat(32)}`,
			network: 'base',
			maxPaymentUsdc: 0.1,
			rpcUrl,
		});
		return (
			await new PaymentSession({ http, wallet: w, checkBalance: false }).pay({
				url: ENDPOINT,
				body: {},
			})
		).receipt;
	};
	expect(await run('https://mainnet.base.org/')).toMatchObject({
		settlement: 'charged',
		transactionOnChain: 'success',
		explorerUrl: `https://basescan.org/tx/${tx}`,
	});
	for (const local of [
		'http://127.0.0.1:8545/',
		'http://localhost:8545/',
		'http://192.168.1.20:8545/',
	]) {
		expect((await run(local))?.explorerUrl).toBeNull();
	}
});

it('pays any HTTP request: the paid try repeats its method, URL, headers and body, and adds only the payment header', async () => {
	const g = gateway();
	const s = g.session();
	const url = `${ENDPOINT}?size=large`;
	await s.pay({ method: 'GET', url, headers: { 'x-trace': 't1' } });
	await s.pay({
		method: 'PUT',
		url,
		headers: { 'content-type': 'text/plain', 'x-trace': 't2' },
		body: 'a raw body',
	});
	const [getUnpaid, getPaid, putUnpaid, putPaid] = g.requests.filter((r) => r.url === url);
	expect(getUnpaid).toMatchObject({ method: 'GET', url, headers: { 'x-trace': 't1' } });
	expect(getPaid).toMatchObject({ method: 'GET', url, headers: { 'x-trace': 't1' } });
	expect(Object.keys(getPaid.headers ?? {}).sort()).toEqual(['X-PAYMENT', 'x-trace']);
	// A quote is shared per method and URL: the PUT asks for its own.
	expect(putUnpaid).toMatchObject({ method: 'PUT', body: 'a raw body' });
	expect(putPaid).toMatchObject({ method: 'PUT', body: 'a raw body' });
	expect(putPaid.headers).toMatchObject({ 'content-type': 'text/plain', 'x-trace': 't2' });
	expect(putPaid.headers?.['X-PAYMENT']).toBeDefined();
	expect(g.requests.filter((r) => r.url === url)).toHaveLength(4);
});
