/**
 * The one HTTP mechanism of the shared modules. Every request the nodes make goes
 * through `boundedHttp`, which holds the rules a hostile or broken server cannot bend:
 *  - a total deadline for the whole exchange, body included (not an idle timeout);
 *  - a size limit on every body: JSON answers are read up to `maxBytes` and dropped past it,
 *    streamed downloads fail as soon as they pass it;
 *  - redirects are never followed blindly: refused outright (payment requests), or followed
 *    hop by hop only while every hop passes the caller's host allow-list;
 *  - http(s) only, never a URL with a user name or password.
 * Below it, a transport makes one hop and follows nothing: n8n's `helpers.httpRequest`
 * in the nodes (n8n's proxy, SSRF rules and the execution's cancel signal apply), fetch elsewhere.
 * Never throws for an HTTP status: only for network failures, limits and aborts.
 */

import { HttpError, resultOf } from './errors';
import { MAX_JSON_BYTES, MAX_REDIRECTS } from './limits';
import { guardStream, readBytes, destroy } from './httpBody';
import { checkUrl, redactText, redactUrl, redirectTarget, type HostRule } from './urls';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpRequest {
	method: HttpMethod;
	url: string;
	headers?: Record<string, string>;
	/** JSON, or a string / Buffer sent as it is (the caller sets its content-type header). */
	body?: unknown;
	/** Total time for the exchange, from sending to the last byte of the body. */
	timeoutMs: number;
	/**
	 * Answer the body as a stream (downloads), not parsed; the deadline and the size limit go on
	 * applying while it is read.
	 */
	stream?: boolean;
	/** Most bytes of body accepted (default MAX_JSON_BYTES). */
	maxBytes?: number;
	/** Answer the body as the bytes received (a Buffer), not parsed: for any content type. */
	raw?: boolean;
	/**
	 * Follow redirects whose every hop passes these host rules (GET only). Absent: a redirect is an
	 * error.
	 */
	followRedirects?: HostRule[];
}

export interface HttpResponse {
	status: number;
	/** Header names in lower case. */
	headers: Record<string, string>;
	/**
	 * Parsed JSON when the answer is JSON, the raw text otherwise; with `stream`, a ByteStream (or a
	 * Buffer from a transport without Node streams).
	 */
	body: unknown;
	/** The URL that answered (after allowed redirects). */
	url: string;
	/** Stream answers: bytes read from the body so far. */
	bytesRead?: () => number;
}

export type HttpFn = (request: HttpRequest) => Promise<HttpResponse>;

/** One hop, following no redirect, the body as a byte stream. */
export interface TransportRequest {
	method: HttpMethod;
	url: string;
	headers: Record<string, string>;
	body?: unknown;
	timeoutMs: number;
	signal: AbortSignal;
}
/**
 * A Node byte stream, as n8n's HTTP helper answers with `encoding: 'stream'` (typed here without
 * importing `stream`).
 */
export type ByteStream = NodeJS.ReadableStream & {
	destroy(error?: Error): unknown;
	destroyed?: boolean;
};

export interface TransportResponse {
	status: number;
	headers: Record<string, string>;
	/** A Node stream (n8n's helper), a web stream (fetch), or nothing. */
	body: ByteStream | AsyncIterable<Uint8Array> | null;
}
export type Transport = (request: TransportRequest) => Promise<TransportResponse>;

export function header(
	response: { headers: Record<string, string> },
	name: string,
): string | undefined {
	return response.headers[name.toLowerCase()];
}

/** A request cut short by its deadline. */
export class DeadlineError extends HttpError {
	constructor(url: URL, timeoutMs: number) {
		super(
			`No complete answer from ${redactUrl(url)} within ${formatSeconds(timeoutMs)} (the deadline for the whole exchange)`,
			{
				hint: "The server is slow or holds the connection open. Try again later, or raise the node's timeout.",
				details: { url: redactUrl(url), timeoutMs },
			},
		);
		this.name = 'DeadlineError';
	}
}

/** A body larger than the limit for its kind. */
export class TooLargeError extends HttpError {
	constructor(url: URL, maxBytes: number) {
		super(
			`The answer of ${redactUrl(url)} is larger than ${formatBytes(maxBytes)}; it was dropped`,
			{
				hint: 'The server sent far more than expected; check the URL.',
				details: { url: redactUrl(url), maxBytes },
			},
		);
		this.name = 'TooLargeError';
	}
}

/**
 * The start of an answer's body as it may be shown: text or JSON, without credentials in URLs, at
 * most `max` characters.
 */
export function excerptOf(body: unknown, max = 200): string {
	if (body === undefined || body === null || body === '') return '';
	const text =
		typeof body === 'string'
			? body
			: Buffer.isBuffer(body)
				? body.subarray(0, max * 4).toString('utf8')
				: safeStringify(body);
	return redactText(text).slice(0, max);
}

/** ": <the start of the body>" to end a message with, or nothing for an empty body. */
export function excerptAfter(body: unknown, max = 200): string {
	const text = excerptOf(body, max);
	return text ? `: ${text}` : '';
}

function safeStringify(value: unknown): string {
	try {
		return JSON.stringify(value) ?? '';
	} catch {
		return String(value);
	}
}

export function boundedHttp(transport: Transport, cancelSignal?: AbortSignal): HttpFn {
	return async (request) => {
		let url = checkUrl(request.url, 'URL');
		const deadline = AbortSignal.timeout(request.timeoutMs);
		const signal = cancelSignal ? AbortSignal.any([cancelSignal, deadline]) : deadline;
		const maxBytes = request.maxBytes ?? MAX_JSON_BYTES;
		const timedOut = (error: unknown) =>
			deadline.aborted && !cancelSignal?.aborted
				? new DeadlineError(url, request.timeoutMs)
				: error;
		const origin = url.origin;
		for (let hop = 0; ; hop++) {
			let response: TransportResponse;
			try {
				response = await transport({
					method: request.method,
					url: url.href,
					headers: headersFor(request.headers, url.origin === origin),
					body: request.body,
					timeoutMs: request.timeoutMs,
					signal,
				});
			} catch (error) {
				throw timedOut(error);
			}
			if (response.status >= 300 && response.status < 400 && response.status !== 304) {
				destroy(response.body);
				const rules =
					request.method === 'GET' && hop < MAX_REDIRECTS ? request.followRedirects : undefined;
				if (request.method === 'GET' && request.followRedirects && hop >= MAX_REDIRECTS) {
					throw new HttpError(`${redactUrl(url)} redirected more than ${MAX_REDIRECTS} times`, {
						httpStatus: response.status,
					});
				}
				url = redirectTarget(header(response, 'location'), url, rules, response.status);
				continue;
			}
			if (request.stream) {
				const counter = { bytes: 0 };
				const streamed = await resultOf(
					guardStream(response.body, maxBytes, url, signal, timedOut, counter),
				);
				if (!streamed.ok) throw timedOut(streamed.error);
				return {
					status: response.status,
					headers: response.headers,
					body: streamed.value,
					url: url.href,
					bytesRead: () => counter.bytes,
				};
			}
			const read = await resultOf(readBytes(response.body, maxBytes, url, signal));
			if (!read.ok) throw timedOut(read.error);
			return {
				status: response.status,
				headers: response.headers,
				body: request.raw ? read.value : parseMaybeJson(read.value.toString('utf8')),
				url: url.href,
			};
		}
	};
}

function parseMaybeJson(text: string): unknown {
	if (!text) return '';
	try {
		return JSON.parse(text);
	} catch {
		return text;
	}
}

export function formatSeconds(ms: number): string {
	return `${Math.round(ms / 100) / 10} s`;
}

export function formatBytes(bytes: number): string {
	return bytes >= 1024 * 1024
		? `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`
		: `${Math.round(bytes / 1024)} kB`;
}

/**
 * The headers of one hop. A wallet sign-in (SIGN-IN-WITH-X) goes only to the origin it was signed
 * for: a redirect elsewhere, even to an allowed host, gets the request without it. (Payment
 * headers never reach a redirect at all: payment requests follow none.)
 */
function headersFor(
	headers: Record<string, string> | undefined,
	sameOrigin: boolean,
): Record<string, string> {
	const all = { ...(headers ?? {}) };
	if (!sameOrigin)
		for (const name of Object.keys(all))
			if (name.toLowerCase() === 'sign-in-with-x') delete all[name];
	return all;
}
