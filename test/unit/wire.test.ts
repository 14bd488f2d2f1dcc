/**
 * The x402 HTTP wire: a 402 read from a v1 body or a v2 PAYMENT-REQUIRED header, what makes one
 * unreadable (nothing is signed), the payment header for each version, and the server's
 * settlement claim. (The same bytes as the official client: test/integration/x402-oracle.test.ts.)
 */
import {
	declarePaymentIdentifierExtension,
	extractPaymentIdentifier,
	isValidPaymentId,
	validatePaymentIdentifier,
} from '@x402/extensions/payment-identifier';
import {
	QuoteError,
	paymentHeaders,
	paymentPayload,
	parseQuote,
	parseSettlementClaim,
} from '../../nodes/shared/x402/protocol/wire';
import { paymentIdIn } from '../../nodes/shared/x402/protocol/extensions';
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

describe('payment-identifier (x402 v2 extension), checked with the official @x402/extensions code', () => {
	const v2 = (extensions: Record<string, unknown>) =>
		parseQuote(
			answer(
				{},
				{
					'payment-required': b64({
						x402Version: 2,
						resource: { url: URL_ },
						accepts: [
							{
								scheme: 'exact',
								network: 'eip155:8453',
								amount: '52700',
								payTo: requirement.payTo,
								maxTimeoutSeconds: 300,
								asset: requirement.asset,
								extra: requirement.extra,
							},
						],
						extensions,
					}),
				},
			),
			URL_,
		);
	const authorization = (nonce: string) => ({
		from: '0x52908400098527886E0F7030069857D2E4169EE7',
		to: requirement.payTo,
		value: '52700',
		validAfter: '0',
		validBefore: '1',
		nonce,
	});
	const NONCE = `0x${'ab'.repeat(32)}`;

	it.each([true, false])(
		'echoes the declaration (required: %s) with an id of the call: the same in every try, valid for the official server',
		(required) => {
			const declared = { 'payment-identifier': declarePaymentIdentifierExtension(required) };
			const quote = v2(declared);
			const pay = (nonce: string) =>
				paymentPayload(quote, quote.accepts[0].raw, authorization(nonce) as never, '0x00');
			const payload = pay(NONCE);
			const echoed = (payload.extensions as Record<string, { info: Record<string, unknown> }>)[
				'payment-identifier'
			];
			expect(echoed.info.required).toBe(required);
			expect(echoed).toMatchObject({ schema: declared['payment-identifier'].schema });
			const id = paymentIdIn(payload);
			expect(id).toMatch(/^[A-Za-z0-9_-]{16,128}$/);
			expect(isValidPaymentId(id as string)).toBe(true);
			expect(validatePaymentIdentifier(echoed)).toMatchObject({ valid: true });
			expect(extractPaymentIdentifier(payload as never)).toBe(id);
			// Every try of one call signs its nonce: the same id. Another call: another id.
			expect(paymentIdIn(pay(NONCE))).toBe(id);
			expect(paymentIdIn(pay(`0x${'cd'.repeat(32)}`))).not.toBe(id);
		},
	);

	it('adds no id where the server declared none, and echoes other extensions unchanged', () => {
		const quote = v2({ bazaar: { info: { input: { type: 'http' } } } });
		const payload = paymentPayload(
			quote,
			quote.accepts[0].raw,
			authorization(NONCE) as never,
			'0x00',
		);
		expect(paymentIdIn(payload)).toBeUndefined();
		expect(payload.extensions).toEqual({ bazaar: { info: { input: { type: 'http' } } } });
	});
});
