/**
 * The poller through its seams (an HTTP function, `now`, `sleep`) on a virtual clock:
 * request deadlines never exceed the time left, backoff, Retry-After, transient failures,
 * and what is never retried.
 */
import { HttpError } from '../../nodes/shared/errors';
import { DeadlineError, type HttpRequest, type HttpResponse } from '../../nodes/shared/http';
import { pollJob, type PollOptions } from '../../nodes/shared/jobs/poller';
import { parseHostList } from '../../nodes/shared/urls';

const STATUS = 'https://x402.dopamint.ai/api/ai/generations/status/j1';

/** A virtual clock: sleeping and slow answers move it; nothing really waits. */
function harness(
	answer: (
		request: HttpRequest,
		at: number,
	) => HttpResponse | { takesMs: number; then: HttpResponse | Error },
) {
	let clock = 0;
	const requests: Array<{ at: number; timeoutMs: number; url: string }> = [];
	const sleeps: number[] = [];
	const options: PollOptions = {
		http: async (request) => {
			requests.push({ at: clock, timeoutMs: request.timeoutMs, url: request.url });
			const a = answer(request, clock);
			if ('takesMs' in a) {
				clock += Math.min(a.takesMs, request.timeoutMs);
				if (a.takesMs > request.timeoutMs)
					throw new DeadlineError(new URL(request.url), request.timeoutMs);
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

const running: HttpResponse = {
	status: 200,
	headers: {},
	body: { status: 'processing' },
	url: STATUS,
};
const done: HttpResponse = {
	status: 200,
	headers: {},
	body: { status: 'completed', images: [{ url: 'https://x402.dopamint.ai/i.png' }] },
	url: STATUS,
};

it('no status request may run past Max Wait: each deadline is the smaller of 30 s and the time left', async () => {
	// A server that never answers: every request runs to its deadline.
	const h = harness(() => ({ takesMs: Number.POSITIVE_INFINITY, then: running }));
	const result = await pollJob(STATUS, {
		...h.options,
		maxWaitMs: 45_000,
		maxTransientErrors: 100,
	});
	expect(result.outcome).toBe('timeout');
	for (const r of h.requests) expect(r.at + r.timeoutMs).toBeLessThanOrEqual(45_000 + 1_000);
	expect(h.requests[0].timeoutMs).toBe(30_000);
	expect(h.clock()).toBeLessThanOrEqual(46_000);
});

it('polls every Poll Interval while the job is young, then every quarter of its age, never above Max Poll Interval', async () => {
	let n = 0;
	const h = harness(() => (++n < 20 ? running : done));
	const result = await pollJob(STATUS, { ...h.options, maxWaitMs: 600_000 });
	expect(result).toMatchObject({ outcome: 'done', polls: 20 });
	const at = h.requests.map((r) => r.at);
	// 0, 1, 2, 3, 4 s (young: 1 s apart), then 4 + 1, 5 + 1.25, 6.25 + 1.5625, … capped at 10 s apart.
	expect(at.slice(0, 7)).toEqual([0, 1_000, 2_000, 3_000, 4_000, 5_000, 6_250]);
	for (let i = 1; i < at.length; i++)
		expect(
			Math.abs(at[i] - at[i - 1] - Math.min(Math.max(at[i - 1] * 0.25, 1_000), 10_000)),
		).toBeLessThanOrEqual(1);
	expect(Math.max(...at.slice(1).map((t, i) => t - at[i]))).toBe(10_000);
});

it('a slow answer does not push later polls back: polls stay anchored on the clock', async () => {
	let n = 0;
	const h = harness(() => (++n < 5 ? { takesMs: 300, then: running } : done));
	await pollJob(STATUS, h.options);
	expect(h.requests.map((r) => r.at)).toEqual([0, 1_000, 2_000, 3_000, 4_000]);
});

it('a job the service dated less than Poll Interval ago is first checked at Poll Interval; an older or undated one at once', async () => {
	const fresh = harness(() => done);
	await pollJob(STATUS, { ...fresh.options, submittedAt: -200 });
	expect(fresh.requests.map((r) => r.at)).toEqual([800]);
	const old = harness(() => done);
	await pollJob(STATUS, { ...old.options, submittedAt: -5_000 });
	expect(old.requests.map((r) => r.at)).toEqual([0]);
	const undated = harness(() => done);
	await pollJob(STATUS, { ...undated.options, submittedAt: Number.NaN });
	expect(undated.requests.map((r) => r.at)).toEqual([0]);
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
	const h = harness(() =>
		++n <= 2
			? { status: 503, headers: {}, body: '', url: STATUS }
			: n === 3
				? { takesMs: 40_000, then: running }
				: done,
	);
	expect((await pollJob(STATUS, h.options)).outcome).toBe('done');

	const failing = harness(() => ({ status: 500, headers: {}, body: '', url: STATUS }));
	await expect(pollJob(STATUS, { ...failing.options, maxTransientErrors: 3 })).rejects.toThrow(
		/failed 4 times in a row \(last: HTTP 500\)/,
	);
});

it('never retries a refused redirect or an oversized answer', async () => {
	const refused = new HttpError(
		'https://x402.dopamint.ai/s redirected (HTTP 302) to http://evil/, which is not allowed',
	);
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
			: {
					status: 200,
					headers: {},
					body: {
						status: 'COMPLETED',
						response_url: 'https://x402.dopamint.ai/api/ai/generations/result/j1',
					},
					url: STATUS,
				},
	);
	const result = await pollJob(STATUS, { ...h.options, maxWaitMs: 5_000 });
	expect(result.outcome).toBe('done');
	expect(h.requests[1].timeoutMs).toBeLessThanOrEqual(5_000 + 30_000);
});
