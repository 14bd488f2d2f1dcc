/**
 * The one HTTP mechanism with a scripted transport: deadlines over the whole exchange,
 * size limits, redirects refused or checked hop by hop.
 */
import { Readable } from 'stream';
import {
	boundedHttp,
	DeadlineError,
	TooLargeError,
	type Transport,
	type TransportRequest,
} from '../../nodes/shared/http';
import { parseHostList } from '../../nodes/shared/urls';

function scripted(
	answers: Array<
		(request: TransportRequest) => {
			status: number;
			headers?: Record<string, string>;
			body?: Readable | null;
		}
	>,
) {
	const seen: TransportRequest[] = [];
	const transport: Transport = async (request) => {
		seen.push(request);
		const answer = answers[Math.min(seen.length - 1, answers.length - 1)](request);
		return {
			status: answer.status,
			headers: answer.headers ?? {},
			body: answer.body ?? Readable.from([]),
		};
	};
	return { transport, seen };
}

/** A body that sends one byte now and then, until the signal ends it. */
function trickle(request: TransportRequest): Readable {
	let n = 0;
	const stream = new Readable({
		read() {
			const tick = setTimeout(() => stream.push(n++ < 1000 ? Buffer.from(' ') : null), 50);
			request.signal.addEventListener('abort', () => clearTimeout(tick), { once: true });
		},
	});
	return stream;
}

it('a POST never follows a redirect: the error names where it pointed, the target is never asked', async () => {
	const { transport, seen } = scripted([
		() => ({ status: 307, headers: { location: 'https://thief.example/collect' } }),
	]);
	await expect(
		boundedHttp(transport)({
			method: 'POST',
			url: 'https://gw.example/pay',
			body: {},
			timeoutMs: 5_000,
		}),
	).rejects.toThrow(
		/^https:\/\/gw\.example\/pay answered with a redirect \(HTTP 307\) to https:\/\/thief\.example\/collect; payment and chain requests never follow redirects$/,
	);
	expect(seen.map((r) => r.url)).toEqual(['https://gw.example/pay']);
});

it('a wallet sign-in header goes only to the origin it was signed for, never along a redirect elsewhere', async () => {
	const hop = scripted([
		() => ({ status: 302, headers: { location: 'https://b.example/result' } }),
		() => ({ status: 200, body: Readable.from([Buffer.from('{"ok":true}')]) }),
	]);
	await boundedHttp(hop.transport)({
		method: 'GET',
		url: 'https://a.example/status',
		headers: { 'SIGN-IN-WITH-X': 'signed-for-a', accept: 'application/json' },
		timeoutMs: 5_000,
		followRedirects: parseHostList('a.example, b.example'),
	});
	expect(hop.seen.map((r) => r.headers)).toEqual([
		{ 'SIGN-IN-WITH-X': 'signed-for-a', accept: 'application/json' },
		{ accept: 'application/json' },
	]);
});

it('a GET follows allowed hops only, and at most 5 of them', async () => {
	const rules = parseHostList('a.example, b.example');
	const hop = scripted([
		() => ({ status: 302, headers: { location: 'https://b.example/next' } }),
		() => ({ status: 200, body: Readable.from([Buffer.from('{"ok":true}')]) }),
	]);
	const answer = await boundedHttp(hop.transport)({
		method: 'GET',
		url: 'https://a.example/s',
		timeoutMs: 5_000,
		followRedirects: rules,
	});
	expect(answer).toMatchObject({ status: 200, body: { ok: true }, url: 'https://b.example/next' });

	const loop = scripted([
		() => ({ status: 302, headers: { location: 'https://a.example/again' } }),
	]);
	await expect(
		boundedHttp(loop.transport)({
			method: 'GET',
			url: 'https://a.example/s',
			timeoutMs: 5_000,
			followRedirects: rules,
		}),
	).rejects.toThrow(/redirected more than 5 times/);
	expect(loop.seen).toHaveLength(6);

	const away = scripted([
		() => ({ status: 301, headers: { location: 'http://169.254.169.254/latest/meta-data' } }),
	]);
	await expect(
		boundedHttp(away.transport)({
			method: 'GET',
			url: 'https://a.example/s',
			timeoutMs: 5_000,
			followRedirects: rules,
		}),
	).rejects.toThrow(
		/redirected \(HTTP 301\) to http:\/\/169\.254\.169\.254\/latest\/meta-data, which is not allowed/,
	);
	expect(away.seen).toHaveLength(1);
});

it('a body trickling past the deadline ends at the deadline (a total deadline, not an idle timeout)', async () => {
	const { transport } = scripted([(request) => ({ status: 200, body: trickle(request) })]);
	const started = Date.now();
	await expect(
		boundedHttp(transport)({ method: 'GET', url: 'https://slow.example/s', timeoutMs: 400 }),
	).rejects.toBeInstanceOf(DeadlineError);
	expect(Date.now() - started).toBeLessThan(1_500);
});

it('a streamed body fails past its deadline too', async () => {
	const { transport } = scripted([(request) => ({ status: 200, body: trickle(request) })]);
	const answer = await boundedHttp(transport)({
		method: 'GET',
		url: 'https://slow.example/img',
		timeoutMs: 300,
		stream: true,
		maxBytes: 10 ** 6,
	});
	const started = Date.now();
	await expect(
		(async () => {
			for await (const chunk of answer.body as Readable) void chunk;
		})(),
	).rejects.toBeInstanceOf(DeadlineError);
	expect(Date.now() - started).toBeLessThan(1_500);
});

it('a JSON answer past maxBytes is dropped; a stream fails past it', async () => {
	const big = () => Readable.from(Array.from({ length: 20 }, () => Buffer.alloc(1024, 0x61)));
	const { transport } = scripted([() => ({ status: 200, body: big() })]);
	await expect(
		boundedHttp(transport)({
			method: 'GET',
			url: 'https://big.example/s',
			timeoutMs: 5_000,
			maxBytes: 10 * 1024,
		}),
	).rejects.toBeInstanceOf(TooLargeError);
	const answer = await boundedHttp(transport)({
		method: 'GET',
		url: 'https://big.example/i',
		timeoutMs: 5_000,
		stream: true,
		maxBytes: 10 * 1024,
	});
	let received = 0;
	await expect(
		(async () => {
			for await (const chunk of answer.body as Readable) received += (chunk as Buffer).length;
		})(),
	).rejects.toBeInstanceOf(TooLargeError);
	// A reader may get the one chunk that crossed the limit (read() returns it as it is counted), never more.
	expect(received).toBeLessThanOrEqual(11 * 1024);
});

it('a cancel is not reported as a deadline', async () => {
	const cancel = new AbortController();
	const { transport } = scripted([(request) => ({ status: 200, body: trickle(request) })]);
	const pending = boundedHttp(
		transport,
		cancel.signal,
	)({ method: 'GET', url: 'https://slow.example/s', timeoutMs: 10_000 });
	setTimeout(() => cancel.abort(), 100);
	const error = await pending.catch((e: unknown) => e);
	expect(error).not.toBeInstanceOf(DeadlineError);
});
