/**
 * Reading a body under the limits: at most `maxBytes`, stopped by the deadline or a cancel, as a
 * Buffer or as the Node stream n8n's helper gives (so binary data is still streamed to n8n's
 * store), its bytes counted as they are consumed.
 */

import { TooLargeError, type ByteStream, type TransportResponse } from './http';

export async function readBytes(
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
export async function guardStream(
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

export function destroy(body: unknown, reason?: unknown): void {
	const stream = body as {
		destroy?: (e?: unknown) => void;
		cancel?: (e?: unknown) => Promise<void>;
	} | null;
	if (typeof stream?.destroy === 'function')
		stream.destroy(reason instanceof Error ? reason : undefined);
	else if (typeof stream?.cancel === 'function') stream.cancel(reason).catch(() => undefined);
}

/**
 * All of a streamed body as bytes (a Buffer stays as it is). The stream's own guard still applies:
 * its size limit and its deadline end the read with their error.
 */
export async function drain(body: unknown): Promise<Buffer> {
	if (Buffer.isBuffer(body)) return body;
	if (typeof body === 'string') return Buffer.from(body, 'utf8');
	if (!body || typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] !== 'function')
		return Buffer.alloc(0);
	const chunks: Buffer[] = [];
	for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
	return Buffer.concat(chunks);
}

/** A streamed answer's body read whole and parsed as JSON when it is JSON (for error answers). */
export async function materialized<T extends { body: unknown }>(response: T): Promise<T> {
	const bytes = await drain(response.body);
	const text = bytes.toString('utf8');
	let body: unknown = text;
	try {
		body = text ? (JSON.parse(text) as unknown) : '';
	} catch {
		body = text;
	}
	return { ...response, body };
}
