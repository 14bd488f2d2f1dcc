import type { IExecuteFunctions, IHttpRequestOptions } from 'n8n-workflow';

/**
 * The HTTP seam of the shared modules. In n8n it is `helpers.httpRequest`
 * (so n8n's proxy, SSRF rules and the execution's cancel signal apply);
 * tests can drive the same modules with any function of this shape.
 * Never throws for an HTTP status: only for network failures and aborts.
 */
export interface HttpRequest {
	method: 'GET' | 'POST';
	url: string;
	headers?: Record<string, string>;
	/** JSON body. */
	body?: unknown;
	timeoutMs?: number;
	/** Answer the body as a stream (downloads), not parsed. */
	stream?: boolean;
}

export interface HttpResponse {
	status: number;
	/** Header names in lower case. */
	headers: Record<string, string>;
	/** Parsed JSON when the answer is JSON, the raw text otherwise, a stream when asked. */
	body: unknown;
}

export type HttpFn = (request: HttpRequest) => Promise<HttpResponse>;

export function header(response: HttpResponse, name: string): string | undefined {
	return response.headers[name.toLowerCase()];
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
 * `helpers.httpRequest` as an HttpFn, bound to the execution's cancel signal.
 * `cancellable: false` is for short read-only checks that must still answer after
 * a cancel, such as asking the chain whether an in-flight payment went through.
 */
export function n8nHttp(context: IExecuteFunctions, options: { cancellable?: boolean } = {}): HttpFn {
	const signal = options.cancellable === false ? undefined : context.getExecutionCancelSignal();
	return async (request) => {
		const requestOptions: IHttpRequestOptions = {
			method: request.method,
			url: request.url,
			headers: { ...(request.headers ?? {}) },
			ignoreHttpStatusErrors: true,
			returnFullResponse: true,
			timeout: request.timeoutMs,
			abortSignal: signal,
		};
		if (request.body !== undefined) {
			requestOptions.body = request.body as IHttpRequestOptions['body'];
			requestOptions.json = true;
		}
		if (request.stream) requestOptions.encoding = 'stream';
		const response = (await context.helpers.httpRequest(requestOptions)) as {
			statusCode: number;
			headers: unknown;
			body: unknown;
		};
		return {
			status: response.statusCode,
			headers: normalizeHeaders(response.headers),
			body: response.body as unknown,
		};
	};
}

/**
 * Node's fetch as an HttpFn: for the credential test, the one place n8n offers
 * no current HTTP helper (only the deprecated `helpers.request`).
 */
export function fetchHttp(): HttpFn {
	return async (request) => {
		const signal = request.timeoutMs ? AbortSignal.timeout(request.timeoutMs) : undefined;
		const response = await fetch(request.url, {
			method: request.method,
			headers: { ...(request.body !== undefined ? { 'content-type': 'application/json' } : {}), ...(request.headers ?? {}) },
			body: request.body !== undefined ? JSON.stringify(request.body) : undefined,
			signal,
		});
		const headers: Record<string, string> = {};
		response.headers.forEach((value, key) => (headers[key] = value));
		if (request.stream && response.body) {
			const { Readable } = await import('stream');
			return { status: response.status, headers, body: Readable.fromWeb(response.body as never) };
		}
		const text = await response.text();
		return { status: response.status, headers, body: parseMaybeJson(text) };
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
