/**
 * The x402 HTTP wire: a 402 read from a v1 body or a v2 PAYMENT-REQUIRED header, what makes one
 * unreadable (nothing is signed), the payment header for each version, and the server's
 * settlement claim. (The same bytes as the official client: test/integration/x402-oracle.test.ts.)
 */
import {
	QuoteError,
	paymentHeaders,
	parseQuote,
	parseSettlementClaim,
} from '../../nodes/shared/x402/protocol/wire';
import type { HttpResponse } from '../../nodes/shared/http';

const URL_ = 'https://x402.dopamint.ai/api/ai/generations/images/nano-banana';
const requirement = {
	scheme: 'exact',
	network: 'base',
	maxAmountRequired: '52700',
	resource: URL_,
	payTo: '0x5054acbbdd6aed95231cbe833f7bf1db7c248bff',
	maxTimeoutSeconds: 300,
	asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
	extra: { name: 'USD Coin', version: '2' },
};
const answer = (body: unknown, headers: Record<string, string> = {}): HttpResponse => ({
	status: 402,
	headers,
	body,
	url: URL_,
});
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

it('reads a v1 402 from its JSON body and a v2 402 from its PAYMENT-REQUIRED header', () => {
	const v1 = parseQuote(answer({ x402Version: 1, accepts: [requirement] }), URL_, 5);
	expect(v1).toMatchObject({ x402Version: 1, resourceUrl: URL_, receivedAt: 5 });
	expect(v1.accepts[0]).toMatchObject({
		amountAtomic: 52_700n,
		networkKey: 'base',
		maxTimeoutSeconds: 300,
	});
	const { maxAmountRequired, ...v2req } = requirement;
	const v2 = parseQuote(
		answer(
			{},
			{
				'payment-required': b64({
					x402Version: 2,
					resource: { url: 'https://r' },
					accepts: [{ ...v2req, network: 'eip155:8453', amount: maxAmountRequired }],
				}),
			},
		),
		URL_,
	);
	expect(v2).toMatchObject({ x402Version: 2, resourceUrl: 'https://r' });
	expect(v2.accepts[0]).toMatchObject({ amountAtomic: 52_700n, networkKey: 'base' });
});

it.each([
	['no body', answer(''), /sent no payment requirements/],
	['x402Version 3', answer({ x402Version: 3, accepts: [requirement] }), /x402Version is 3/],
	['no way to pay', answer({ x402Version: 1, accepts: [] }), /lists no way to pay/],
	['a garbled header', answer({}, { 'payment-required': '%%%' }), /not base64 JSON/],
	[
		'no payTo',
		answer({ x402Version: 1, accepts: [{ ...requirement, payTo: undefined }] }),
		/lacks scheme, network, amount, payTo or asset/,
	],
	[
		'a fractional validity',
		answer({ x402Version: 1, accepts: [{ ...requirement, maxTimeoutSeconds: 1.5 }] }),
		/not a positive whole number of seconds/,
	],
])('refuses a 402 with %s, signing nothing', (_case, response, message) => {
	let error: unknown;
	try {
		parseQuote(response, URL_);
	} catch (e) {
		error = e;
	}
	expect(error).toBeInstanceOf(QuoteError);
	expect((error as QuoteError).message).toMatch(message);
	expect((error as QuoteError).message).toMatch(/Nothing was signed or paid\.$/);
	expect((error as QuoteError).details).toMatchObject({ signed: false, settlement: 'not charged' });
});

it('writes v1 payments in X-PAYMENT and v2 in PAYMENT-SIGNATURE, as base64 JSON', () => {
	const v1 = paymentHeaders({ x402Version: 1, scheme: 'exact' });
	expect(Object.keys(v1)).toEqual(['X-PAYMENT']);
	expect(JSON.parse(Buffer.from(v1['X-PAYMENT'], 'base64').toString())).toEqual({
		x402Version: 1,
		scheme: 'exact',
	});
	expect(Object.keys(paymentHeaders({ x402Version: 2 }))).toEqual(['PAYMENT-SIGNATURE']);
});

it("reads the server's settlement claim from either header, and nothing from a garbled one", () => {
	const tx = `0x${'cd'.repeat(32)}`;
	expect(
		parseSettlementClaim({
			status: 200,
			headers: { 'x-payment-response': b64({ success: true, transaction: tx }) },
			body: {},
			url: URL_,
		}),
	).toEqual({ success: true, transaction: tx, errorReason: undefined });
	expect(
		parseSettlementClaim({
			status: 402,
			headers: { 'payment-response': b64({ success: false, errorReason: 'insufficient_funds' }) },
			body: {},
			url: URL_,
		}),
	).toMatchObject({ success: false, errorReason: 'insufficient_funds' });
	expect(
		parseSettlementClaim({
			status: 200,
			headers: { 'x-payment-response': 'not base64 json' },
			body: {},
			url: URL_,
		}),
	).toBeUndefined();
	expect(parseSettlementClaim({ status: 200, headers: {}, body: {}, url: URL_ })).toBeUndefined();
});
