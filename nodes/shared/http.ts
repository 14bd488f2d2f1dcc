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

import type { IExecuteFunctions, IHttpRequestOptions } from 'n8n-workflow';
import { HttpError, resultOf } from './errors';
import { MAX_JSON_BYTES, MAX_REDIRECTS } from './limits';
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
	const text = typeof body === 'string' ? body : safeStringify(body);
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
		for (let hop = 0; ; hop++) {
			let response: TransportResponse;
			try {
				response = await transport({
					method: request.method,
					url: url.href,
					headers: { ...(request.headers ?? {}) },
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
				body: parseMaybeJson(read.value.toString('utf8')),
				url: url.href,
			};
		}
	};
}

async function readBytes(
	body: TransportResponse['body'],
	maxBytes: number,
	url: URL,
	signal: AbortSignal,
): Promise<Buffer> {
	if (!body) return Buffer.alloc(0);
	const chunks: Buffer[] = [];
	let size = 0;
	const stop = () => destroy(body, signal.reason);
	signal.addEventListener('abort', stop, { once: true });
	try {
		signal.throwIfAborted();
		for await (const chunk of body as AsyncIterable<Uint8Array>) {
			size += chunk.length;
			if (size > maxBytes) {
				destroy(body);
				throw new TooLargeError(url, maxBytes);
			}
			chunks.push(Buffer.from(chunk));
		}
		signal.throwIfAborted();
	} finally {
		signal.removeEventListener('abort', stop);
	}
	return Buffer.concat(chunks);
}

/**
 * A streamed body that fails past maxBytes and when the deadline or a cancel ends the exchange.
 * The Node stream n8n's helper gives is handed on as it is (so binary data is still streamed to
 * n8n's store), its bytes counted as they are consumed, and destroyed with the reason. A body
 * without Node streams (fetch) is read
 * into a Buffer under the same limits.
 */
async function guardStream(
	body: TransportResponse['body'],
	maxBytes: number,
	url: URL,
	signal: AbortSignal,
	timedOut: (e: unknown) => unknown,
	counter: { bytes: number },
): Promise<ByteStream | Buffer> {
	if (!isNodeStream(body)) {
		const text = await readBytes(body, maxBytes, url, signal);
		counter.bytes = text.length;
		return text;
	}
	// Every byte a consumer gets passes through a 'data' event (flowing mode, pipe, and read()
	// behind async iteration alike): count there, without adding a listener that would change
	// the stream's flow, and stop before handing on the chunk that crosses the limit.
	const emit = body.emit.bind(body) as (event: string | symbol, ...args: unknown[]) => boolean;
	body.emit = ((event: string | symbol, ...args: unknown[]) => {
		if (event === 'data') {
			counter.bytes += (args[0] as { length: number }).length;
			if (counter.bytes > maxBytes) {
				body.destroy(new TooLargeError(url, maxBytes));
				return false;
			}
		}
		// The transport may end the stream on the deadline before we do: say it was the deadline.
		if (event === 'error' && signal.aborted) return emit(event, timedOut(args[0]));
		return emit(event, ...args);
	}) as typeof body.emit;
	const stop = () => body.destroy(timedOut(signal.reason) as Error);
	if (signal.aborted) stop();
	else signal.addEventListener('abort', stop, { once: true });
	body.once('close', () => signal.removeEventListener('abort', stop));
	return body;
}

function isNodeStream(body: unknown): body is ByteStream {
	return (
		!!body &&
		typeof (body as ByteStream).on === 'function' &&
		typeof (body as ByteStream).pause === 'function'
	);
}

function destroy(body: unknown, reason?: unknown): void {
	const stream = body as {
		destroy?: (e?: unknown) => void;
		cancel?: (e?: unknown) => Promise<void>;
	} | null;
	if (typeof stream?.destroy === 'function')
		stream.destroy(reason instanceof Error ? reason : undefined);
	else if (typeof stream?.cancel === 'function') stream.cancel(reason).catch(() => undefined);
}

export function normalizeHeaders(raw: unknown): Record<string, string> {
	const out: Record<string, string> = {};
	if (!raw || typeof raw !== 'object') return out;
	const entries =
		typeof (raw as { toJSON?: unknown }).toJSON === 'function'
			? Object.entries((raw as { toJSON: () => Record<string, unknown> }).toJSON())
			: Object.entries(raw as Record<string, unknown>);
	for (const [key, value] of entries) {
		if (value === undefined || value === null) continue;
		out[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
	}
	return out;
}

/**
 * `helpers.httpRequest` as a transport: one hop (n8n's redirect following off), the body
 * streamed so nothing is buffered before the limits apply.
 * `cancellable: false` is for short read-only checks that must still answer after
 * a cancel, such as asking the chain whether an in-flight payment went through.
 */
export function n8nHttp(
	context: IExecuteFunctions,
	options: { cancellable?: boolean } = {},
): HttpFn {
	const cancelSignal =
		options.cancellable === false ? undefined : context.getExecutionCancelSignal();
	return boundedHttp(async (request) => {
		const requestOptions: IHttpRequestOptions = {
			method: request.method,
			url: request.url,
			headers: request.headers,
			ignoreHttpStatusErrors: true,
			returnFullResponse: true,
			disableFollowRedirect: true,
			encoding: 'stream',
			// axios' timeout is a socket idle timeout; the total deadline is the signal.
			timeout: request.timeoutMs,
			abortSignal: request.signal,
		};
		if (request.body !== undefined) {
			requestOptions.body = request.body as IHttpRequestOptions['body'];
			requestOptions.json = !isRaw(request.body);
		}
		const response = (await context.helpers.httpRequest(requestOptions)) as {
			statusCode: number;
			headers: unknown;
			body: ByteStream;
		};
		return {
			status: response.statusCode,
			headers: normalizeHeaders(response.headers),
			body: response.body,
		};
	}, cancelSignal);
}

/**
 * Node's fetch as a transport: for the credential test, the one place n8n offers
 * no current HTTP helper (only the deprecated `helpers.request`), and for tests.
 */
export function fetchHttp(): HttpFn {
	return boundedHttp(async (request) => {
		const response = await fetch(request.url, {
			method: request.method,
			headers: {
				...(request.body !== undefined && !isRaw(request.body)
					? { 'content-type': 'application/json' }
					: {}),
				...request.headers,
			},
			body:
				request.body === undefined
					? undefined
					: typeof request.body === 'string'
						? request.body
						: Buffer.isBuffer(request.body)
							? new Uint8Array(request.body)
							: JSON.stringify(request.body),
			redirect: 'manual',
			signal: request.signal,
		});
		const headers: Record<string, string> = {};
		response.headers.forEach((value, key) => (headers[key] = value));
		return {
			status: response.status,
			headers,
			body: response.body as AsyncIterable<Uint8Array> | null,
		};
	});
}

/** A body sent as it is, not as JSON. */
function isRaw(body: unknown): body is string | Buffer {
	return typeof body === 'string' || Buffer.isBuffer(body);
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
