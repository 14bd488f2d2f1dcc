/**
 * The poller through its seams (an HTTP function, `now`, `sleep`) on a virtual clock:
 * request deadlines never exceed the time left, backoff, Retry-After, transient failures,
 * and what is never retried.
 */
import { NanoBananaError } from '../../nodes/shared/errors';
import { DeadlineError, type HttpRequest, type HttpResponse } from '../../nodes/shared/http';
import { pollJob, type PollOptions } from '../../nodes/shared/jobs/poller';
import { parseHostList } from '../../nodes/shared/urls';

const STATUS = 'https://x402.dopamint.ai/api/ai/generations/status/j1';

/** A virtual clock: sleeping and slow answers move it; nothing really waits. */
function harness(answer: (request: HttpRequest, at: number) => HttpResponse | { takesMs: number; then: HttpResponse | Error }) {
	let clock = 0;
	const requests: Array<{ at: number; timeoutMs: number; url: string }> = [];
	const sleeps: number[] = [];
	const options: PollOptions = {
		http: async (request) => {
			requests.push({ at: clock, timeoutMs: request.timeoutMs, url: request.url });
			const a = answer(request, clock);
			if ('takesMs' in a) {
				clock += Math.min(a.takesMs, request.timeoutMs);
				if (a.takesMs > request.timeoutMs) throw new DeadlineError(new URL(request.url), request.timeoutMs);
				if (a.then instanceof Error) throw a.then;
				return a.then;
			}
			return a;
		},
		sleep: async (ms) => {
			sleeps.push(ms);
			clock += ms;
		},
		now: () => clock,
		random: () => 0.5,
		intervalMs: 1_000,
		maxIntervalMs: 10_000,
		maxWaitMs: 60_000,
		allowedHosts: parseHostList('x402.dopamint.ai'),
	};
	return { options, requests, sleeps, clock: () => clock };
}

const running: HttpResponse = { status: 200, headers: {}, body: { status: 'processing' }, url: STATUS };
const done: HttpResponse = { status: 200, headers: {}, body: { status: 'completed', images: [{ url: 'https://x402.dopamint.ai/i.png' }] }, url: STATUS };

it('no status request may run past Max Wait: each deadline is the smaller of 30 s and the time left', async () => {
	// A server that never answers: every request runs to its deadline.
	const h = harness(() => ({ takesMs: Number.POSITIVE_INFINITY, then: running }));
	const result = await pollJob(STATUS, { ...h.options, maxWaitMs: 45_000, maxTransientErrors: 100 });
	expect(result.outcome).toBe('timeout');
	for (const r of h.requests) expect(r.at + r.timeoutMs).toBeLessThanOrEqual(45_000 + 1_000);
	expect(h.requests[0].timeoutMs).toBe(30_000);
	expect(h.clock()).toBeLessThanOrEqual(46_000);
});

it('backs off from Poll Interval towards Max Poll Interval', async () => {
	let n = 0;
	const h = harness(() => (++n < 8 ? running : done));
	const result = await pollJob(STATUS, h.options);
	expect(result).toMatchObject({ outcome: 'done', polls: 8 });
	expect(h.sleeps[0]).toBe(1_000);
	for (let i = 1; i < h.sleeps.length; i++) expect(h.sleeps[i]).toBeGreaterThanOrEqual(h.sleeps[i - 1]);
	expect(Math.max(...h.sleeps)).toBeLessThanOrEqual(10_000);
});

it('waits at least what Retry-After asks, but never past Max Wait', async () => {
	let n = 0;
	const h = harness(() => (++n < 3 ? { ...running, headers: { 'retry-after': '7' } } : done));
	await pollJob(STATUS, h.options);
	expect(h.sleeps.slice(0, 2)).toEqual([7_000, 7_000]);

	const late = harness(() => ({ ...running, headers: { 'retry-after': '3600' } }));
	const result = await pollJob(STATUS, { ...late.options, maxWaitMs: 20_000 });
	expect(result.outcome).toBe('timeout');
	expect(late.sleeps[0]).toBe(20_000);
});

it('tolerates a few transient failures (5xx, 429, a slow answer), not more', async () => {
	let n = 0;
	const h = harness(() => (++n <= 2 ? { status: 503, headers: {}, body: '', url: STATUS } : n === 3 ? { takesMs: 40_000, then: running } : done));
	expect((await pollJob(STATUS, h.options)).outcome).toBe('done');

	const failing = harness(() => ({ status: 500, headers: {}, body: '', url: STATUS }));
	await expect(pollJob(STATUS, { ...failing.options, maxTransientErrors: 3 })).rejects.toThrow(/failed 4 times in a row \(last: HTTP 500\)/);
});

it('never retries a refused redirect or an oversized answer', async () => {
	const refused = new NanoBananaError('http', 'https://x402.dopamint.ai/s redirected (HTTP 302) to http://evil/, which is not allowed');
	const h = harness(() => ({ takesMs: 10, then: refused }));
	await expect(pollJob(STATUS, h.options)).rejects.toBe(refused);
	expect(h.requests).toHaveLength(1);
});

it('never pays: a 402 ends the poll', async () => {
	const h = harness(() => ({ status: 402, headers: {}, body: {}, url: STATUS }));
	await expect(pollJob(STATUS, h.options)).rejects.toThrow(/asks for payment \(HTTP 402\)/);
	expect(h.requests).toHaveLength(1);
});

it('fetches a result URL within Max Wait plus the download grace', async () => {
	const h = harness((request) =>
		request.url.includes('/result/')
			? { takesMs: 1_000, then: done }
			: { status: 200, headers: {}, body: { status: 'COMPLETED', response_url: 'https://x402.dopamint.ai/api/ai/generations/result/j1' }, url: STATUS },
	);
	const result = await pollJob(STATUS, { ...h.options, maxWaitMs: 5_000 });
	expect(result.outcome).toBe('done');
	expect(h.requests[1].timeoutMs).toBeLessThanOrEqual(5_000 + 30_000);
});
