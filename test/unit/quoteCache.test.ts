/**
 * The quote cache of one payment session: concurrent items share one unpaid request, later items
 * reuse a fresh quote, a free answer is never shared, a failed unpaid request is not another
 * item's failure, and reuse stops once a reused quote was refused.
 */
import type { HttpResponse } from '../../nodes/shared/http';
import type { Quote } from '../../nodes/shared/x402/protocol/wire';
import { QuoteCache, type QuoteOutcome } from '../../nodes/shared/x402/unpaid';

const URL_KEY = 'POST https://x/image';
const quote = (receivedAt: number, maxTimeoutSeconds = 300): QuoteOutcome => ({
	kind: 'quote',
	quote: {
		x402Version: 1,
		accepts: [{ maxTimeoutSeconds }],
		raw: {},
		resourceUrl: 'https://x/image',
		receivedAt,
	} as unknown as Quote,
});
const answer: QuoteOutcome = {
	kind: 'answer',
	response: { status: 200, headers: {}, body: { free: true }, url: '' } as HttpResponse,
};

function cache() {
	let clock = 1_000_000;
	const quotes = new QuoteCache(() => clock);
	let sent = 0;
	const unpaid = (outcome: () => QuoteOutcome) => async () => {
		sent++;
		await Promise.resolve();
		return outcome();
	};
	return {
		quotes,
		sent: () => sent,
		advance: (ms: number) => (clock += ms),
		now: () => clock,
		unpaid,
	};
}

it('concurrent items share one unpaid request; only the first is not "reused"', async () => {
	const c = cache();
	const results = await Promise.all(
		Array.from({ length: 5 }, () =>
			c.quotes.get(
				URL_KEY,
				c.unpaid(() => quote(c.now())),
			),
		),
	);
	expect(c.sent()).toBe(1);
	expect(results.map((r) => r.reused)).toEqual([false, true, true, true, true]);
});

it('reuses a fresh quote, asks again once it is older than 120 s or its own validity', async () => {
	const c = cache();
	await c.quotes.get(
		URL_KEY,
		c.unpaid(() => quote(c.now())),
	);
	c.advance(119_000);
	expect(
		(
			await c.quotes.get(
				URL_KEY,
				c.unpaid(() => quote(c.now())),
			)
		).reused,
	).toBe(true);
	c.advance(2_000);
	expect(
		(
			await c.quotes.get(
				URL_KEY,
				c.unpaid(() => quote(c.now())),
			)
		).reused,
	).toBe(false);
	expect(c.sent()).toBe(2);
	const short = cache();
	await short.quotes.get(
		URL_KEY,
		short.unpaid(() => quote(short.now(), 10)),
	);
	short.advance(11_000);
	expect(
		(
			await short.quotes.get(
				URL_KEY,
				short.unpaid(() => quote(short.now(), 10)),
			)
		).reused,
	).toBe(false);
});

it('a free answer belongs to the request that got it: other items send their own', async () => {
	const c = cache();
	const [a, b] = await Promise.all([
		c.quotes.get(
			URL_KEY,
			c.unpaid(() => answer),
		),
		c.quotes.get(
			URL_KEY,
			c.unpaid(() => answer),
		),
	]);
	expect([a.outcome.kind, b.outcome.kind]).toEqual(['answer', 'answer']);
	expect(c.sent()).toBe(2);
});

it("another item's failed unpaid request is not this item's failure", async () => {
	const c = cache();
	const failing = c.quotes.get(URL_KEY, async () => {
		throw new Error('connection reset');
	});
	const second = c.quotes.get(
		URL_KEY,
		c.unpaid(() => quote(c.now())),
	);
	await expect(failing).rejects.toThrow('connection reset');
	await expect(second).resolves.toMatchObject({ outcome: { kind: 'quote' }, reused: false });
});

it('stops reusing once a reused quote was refused', async () => {
	const c = cache();
	await c.quotes.get(
		URL_KEY,
		c.unpaid(() => quote(c.now())),
	);
	c.quotes.stopReuse(URL_KEY);
	expect(
		(
			await c.quotes.get(
				URL_KEY,
				c.unpaid(() => quote(c.now())),
			)
		).reused,
	).toBe(false);
	expect(
		(
			await c.quotes.get(
				URL_KEY,
				c.unpaid(() => quote(c.now())),
			)
		).reused,
	).toBe(false);
	expect(c.sent()).toBe(3);
});

it('keys by method and URL: another method or URL never shares a quote', async () => {
	const c = cache();
	await c.quotes.get(
		URL_KEY,
		c.unpaid(() => quote(c.now())),
	);
	expect(
		(
			await c.quotes.get(
				'GET https://x/image',
				c.unpaid(() => quote(c.now())),
			)
		).reused,
	).toBe(false);
	expect(c.sent()).toBe(2);
});
