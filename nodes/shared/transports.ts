/**
 * The transports under the bounded HTTP (http.ts): n8n's `helpers.httpRequest`, and Node's fetch
 * for the credential test and the tests. One hop each; the limits are http.ts's.
 */

import type { IExecuteFunctions, IHttpRequestOptions } from 'n8n-workflow';
import { boundedHttp, type ByteStream, type HttpFn } from './http';

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
