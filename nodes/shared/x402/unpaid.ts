/**
 * The unpaid request, and the quote cache of one payment session: concurrent items share one
 * unpaid request per method and URL, and later items reuse its quote while it is fresh. Once the
 * server refuses a reused quote, reuse stops for the rest of the session.
 */

import { resultOf } from '../errors';
import type { HttpFn, HttpResponse } from '../http';
import { QUOTE_REUSE_MS, REQUEST_TIMEOUT_MS } from '../limits';
import { materialized } from '../httpBody';
import { redactUrl } from '../urls';
import type { PaidRequest } from './request';
import { gatewayError, GatewayError } from './protocol/answers';
import { SIGN_IN_WITH_X, signInOffered, type SignIn } from './protocol/siwx';
import { parseQuote, QuoteError, type Quote } from './protocol/wire';

/** Sends the request unpaid: a 402 is a quote, a 2xx the answer (free), anything else an error. */
export async function unpaidRequest(
	http: HttpFn,
	request: PaidRequest,
	now: number,
): Promise<QuoteOutcome> {
	const sent = await resultOf(
		http({
			method: request.method ?? 'POST',
			url: request.url,
			headers: request.headers,
			body: request.body,
			timeoutMs: request.timeoutMs ?? REQUEST_TIMEOUT_MS,
			...(request.raw ? { stream: true, maxBytes: request.raw.maxBytes } : {}),
		}),
	);
	if (!sent.ok) {
		const why = sent.error instanceof Error ? sent.error.message : String(sent.error);
		throw new GatewayError(`Could not get an answer from ${redactUrl(request.url)}: ${why}`, {
			hint: 'Check the Endpoint URL and the network connection of your n8n instance.',
		});
	}
	const ok = sent.value.status >= 200 && sent.value.status < 300;
	if (ok) return { kind: 'answer', response: sent.value };
	// A 402 (its body is the v1 quote) or an error answer is read whole, streamed or not.
	const response = request.raw ? await materialized(sent.value) : sent.value;
	if (response.status === 402)
		return { kind: 'quote', quote: parseQuote(response, request.url, now) };
	throw gatewayError(response);
}

export type QuoteOutcome =
	| { kind: 'quote'; quote: Quote }
	| { kind: 'answer'; response: HttpResponse };

export class QuoteCache {
	/** Per endpoint URL: the last quote, or the unpaid request that will produce it. */
	private readonly entries = new Map<string, Promise<QuoteOutcome>>();
	private reuse = true;

	constructor(private readonly now: () => number) {}

	/**
	 * A quote (or a free answer) for this URL, and whether it was shared with an earlier item.
	 * `unpaidRequest` makes this item's own unpaid request when one is needed.
	 */
	async get(
		url: string,
		unpaidRequest: () => Promise<QuoteOutcome>,
	): Promise<{ outcome: QuoteOutcome; reused: boolean }> {
		const fresh = async () => {
			const own = unpaidRequest();
			this.entries.set(url, own);
			return { outcome: await own, reused: false };
		};
		if (!this.reuse) return await fresh();
		// Check-and-set in one synchronous step, so concurrent items share one unpaid request.
		let pending = this.entries.get(url);
		const first = pending === undefined;
		if (!pending) {
			pending = unpaidRequest();
			this.entries.set(url, pending);
		}
		const shared = await resultOf(pending);
		if (!shared.ok) {
			this.forget(url, pending);
			// Another item's unpaid request failed (its own problem): make our own.
			if (!first) return await fresh();
			throw shared.error;
		}
		const outcome = shared.value;
		if (outcome.kind === 'answer') {
			// A free answer belongs to the request that got it.
			this.forget(url, pending);
			return first ? { outcome, reused: false } : await fresh();
		}
		if (!first && this.expired(outcome.quote)) {
			this.forget(url, pending);
			return await fresh();
		}
		return { outcome, reused: !first };
	}

	/** After the server refused a reused quote: every later item asks for its own. */
	stopReuse(url: string): void {
		this.reuse = false;
		this.entries.delete(url);
	}

	private forget(url: string, pending: Promise<QuoteOutcome>): void {
		if (this.entries.get(url) === pending) this.entries.delete(url);
	}

	private expired(quote: Quote): boolean {
		const ttl = Math.min(
			QUOTE_REUSE_MS,
			Math.min(...quote.accepts.map((a) => a.maxTimeoutSeconds)) * 1000,
		);
		return this.now() - quote.receivedAt > ttl;
	}
}

/**
 * A 402 that offers a sign-in (sign-in-with-x) gets one before any payment is considered: a wallet
 * that paid before, or a route that only asks who you are, is let in without paying (the answer).
 * Still a 402: its quote, to pay as usual. A sign-in this package will not sign (another origin,
 * another chain) is not signed, and the first quote stands.
 */
export async function signInFirst(
	http: HttpFn,
	signIn: (challenge: SignIn) => Promise<Record<string, string>>,
	request: PaidRequest,
	quote: Quote,
	chainId: number,
	now: number,
): Promise<QuoteOutcome> {
	const offered = signInOffered(quote.raw.extensions, request.url, chainId, now);
	if (!offered || 'refused' in offered) {
		if (!quote.accepts.length)
			throw new QuoteError(
				`it only offers a sign-in, which this package does not sign: ${offered?.refused ?? 'none readable'}`,
				{ status: 402, headers: {}, body: {}, url: request.url },
			);
		return { kind: 'quote', quote };
	}
	const header = await signIn(offered);
	const again = await unpaidRequest(
		http,
		{ ...request, headers: { ...(request.headers ?? {}), ...header } },
		now,
	);
	if (again.kind === 'quote' && !again.quote.accepts.length)
		throw new QuoteError('it only offers a sign-in, and did not let this wallet in', {
			status: 402,
			headers: {},
			body: {},
			url: request.url,
		});
	return again;
}

/** Signs in (sign-in-with-x) for a URL whose 402 offered it: the header to send, or a refusal thrown. */
export type SignInFor = (url: string, extensions: unknown) => Promise<Record<string, string>>;

/**
 * An HTTP function that answers a 402 offering a sign-in by signing in, once, and asking again:
 * for polling a job whose status or result only a wallet's owner may read. It never pays: a 402
 * still there after the sign-in, or one that offers no sign-in, is answered as it is.
 */
export function signingInHttp(http: HttpFn, signInFor: SignInFor): HttpFn {
	return async (request) => {
		const response = await http(request);
		if (response.status !== 402) return response;
		const asked = resultOfSync(() => parseQuote(response, request.url).raw.extensions);
		if (!asked.ok || !(asked.value as Record<string, unknown> | undefined)?.[SIGN_IN_WITH_X])
			return response;
		const header = await signInFor(response.url || request.url, asked.value);
		return await http({ ...request, headers: { ...(request.headers ?? {}), ...header } });
	};
}

function resultOfSync<T>(work: () => T): { ok: true; value: T } | { ok: false } {
	try {
		return { ok: true, value: work() };
	} catch {
		return { ok: false };
	}
}
