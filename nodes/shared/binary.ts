import type { IBinaryData, IExecuteFunctions } from 'n8n-workflow';
import { PassThrough, Readable } from 'stream';
import { NanoBananaError } from './errors';
import { header, type HttpFn } from './http';
import type { ImageRef } from './jobs/shapes';
import { assertAllowedUrl, type HostRule } from './urls';

/**
 * Downloads an image into n8n binary data, streamed (never buffered twice:
 * in filesystem mode n8n writes the stream straight to disk).
 */
export interface DownloadedImage {
	binary: IBinaryData;
	url: string;
	mimeType: string;
	fileName: string;
	sizeBytes: number;
	width?: number;
	height?: number;
}

const EXTENSIONS: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpeg', 'image/webp': 'webp', 'image/gif': 'gif' };

export async function downloadImage(
	context: IExecuteFunctions,
	http: HttpFn,
	ref: ImageRef,
	options: { allowedHosts: HostRule[]; baseName: string; timeoutMs?: number },
): Promise<DownloadedImage> {
	let source: Buffer | Readable;
	let mimeType: string;
	let counted: { bytes: number } = { bytes: 0 };
	const dataUri = /^data:([^;,]+)?(;base64)?,(.*)$/is.exec(ref.url);
	if (dataUri) {
		mimeType = dataUri[1] ?? ref.contentType ?? 'application/octet-stream';
		source = dataUri[2] ? Buffer.from(dataUri[3], 'base64') : Buffer.from(decodeURIComponent(dataUri[3]), 'utf8');
		counted = { bytes: source.length };
	} else {
		assertAllowedUrl(ref.url, options.allowedHosts, 'image URL');
		const response = await http({ method: 'GET', url: ref.url, stream: true, timeoutMs: options.timeoutMs ?? 120_000 });
		if (response.status === 402) {
			drain(response.body);
			throw new NanoBananaError('job', `The image URL asks for payment (HTTP 402): ${ref.url}`, 'Wait for Job never pays for downloads.', { url: ref.url }, 402);
		}
		if (response.status < 200 || response.status >= 300) {
			drain(response.body);
			throw new NanoBananaError('http', `Downloading the image failed with HTTP ${response.status}: ${ref.url}`, 'Image URLs may expire; run Wait for Job again soon after generation.', { url: ref.url }, response.status);
		}
		mimeType = (header(response, 'content-type') ?? ref.contentType ?? 'application/octet-stream').split(';')[0].trim();
		source = countBytes(response.body, counted);
	}
	if (!mimeType.startsWith('image/') && ref.contentType?.startsWith('image/')) mimeType = ref.contentType;
	const fileName = ref.fileName ?? `${options.baseName}.${EXTENSIONS[mimeType] ?? extensionOf(ref.url) ?? 'bin'}`;
	// Always pass a mime type: without one n8n sniffs the bytes with a dynamic ESM import.
	const binary = await context.helpers.prepareBinaryData(source, fileName, mimeType);
	return { binary, url: dataUri ? 'data:' : ref.url, mimeType, fileName, sizeBytes: counted.bytes, width: ref.width, height: ref.height };
}

function countBytes(body: unknown, counter: { bytes: number }): Readable | Buffer {
	if (Buffer.isBuffer(body)) {
		counter.bytes = body.length;
		return body;
	}
	if (body instanceof Readable) {
		const pass = new PassThrough();
		body.on('data', (chunk: Buffer) => (counter.bytes += chunk.length));
		body.on('error', (error) => pass.destroy(error));
		return body.pipe(pass);
	}
	const buffer = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body ?? ''));
	counter.bytes = buffer.length;
	return buffer;
}

function drain(body: unknown): void {
	if (body instanceof Readable) body.resume();
}

function extensionOf(url: string): string | undefined {
	try {
		const match = /\.([a-z0-9]{2,5})$/i.exec(new URL(url).pathname);
		return match?.[1].toLowerCase();
	} catch {
		return undefined;
	}
}
