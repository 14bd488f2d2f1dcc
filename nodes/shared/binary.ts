/**
 * The one download path: an image into n8n binary data, streamed (never buffered twice:
 * in filesystem mode n8n writes the stream straight to disk). Every hop must pass the
 * allow-list, the whole download has a deadline, and it fails past MAX_IMAGE_BYTES
 * (a data: URI is measured before it is decoded).
 */

import type { IBinaryData, IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { HttpError, InputError, JobError } from './errors';
import { formatBytes, header, type ByteStream, type HttpFn } from './http';
import type { ImageRef } from './jobs/shapes';
import { MAX_IMAGE_BYTES } from './limits';
import { assertAllowedUrl, redactUrl, type HostRule } from './urls';

export interface DownloadedImage {
	binary: IBinaryData;
	url: string;
	mimeType: string;
	fileName: string;
	sizeBytes: number;
	width?: number;
	height?: number;
}

const EXTENSIONS: Record<string, string> = {
	'image/png': 'png',
	'image/jpeg': 'jpeg',
	'image/webp': 'webp',
	'image/gif': 'gif',
};

export async function downloadImage(
	context: IExecuteFunctions,
	http: HttpFn,
	ref: ImageRef,
	options: { allowedHosts: HostRule[]; baseName: string; timeoutMs: number },
): Promise<DownloadedImage> {
	let source: Buffer | ByteStream;
	let mimeType: string;
	const counted = { bytes: 0 };
	let shownUrl: string;
	let outputUrl = 'data:';
	let bytesRead: (() => number) | undefined;
	const dataUri = /^data:([^;,]{0,100})?(;base64)?,/i.exec(ref.url);
	if (dataUri) {
		shownUrl = 'data:';
		mimeType = dataUri[1] || ref.contentType || 'application/octet-stream';
		const payload = ref.url.slice(dataUri[0].length);
		const decodedSize = dataUri[2] ? Math.floor((payload.length * 3) / 4) : payload.length;
		if (decodedSize > MAX_IMAGE_BYTES) throw tooLarge('data: URI', decodedSize);
		source = dataUri[2] ? Buffer.from(payload, 'base64') : Buffer.from(safeDecode(payload), 'utf8');
		counted.bytes = source.length;
	} else if (/^[a-z][a-z0-9+.-]*:/i.test(ref.url) && !/^https?:/i.test(ref.url)) {
		throw new InputError(
			'image URL',
			`only http(s) and data: image URLs are read, not ${ref.url.split(':')[0].slice(0, 20)}:`,
			'The service returned an image URL this node does not fetch.',
		);
	} else {
		const url = assertAllowedUrl(ref.url, options.allowedHosts, 'image URL');
		shownUrl = redactUrl(url);
		outputUrl = url.href;
		const response = await http({
			method: 'GET',
			url: url.href,
			stream: true,
			timeoutMs: options.timeoutMs,
			maxBytes: MAX_IMAGE_BYTES,
			followRedirects: options.allowedHosts,
		});
		if (response.status === 402) {
			drain(response.body);
			throw new JobError(`The image URL asks for payment (HTTP 402): ${shownUrl}`, {
				hint: 'Wait for Job never pays for downloads.',
				details: { url: shownUrl },
				httpStatus: 402,
			});
		}
		if (response.status < 200 || response.status >= 300) {
			drain(response.body);
			throw new HttpError(
				`Downloading the image failed with HTTP ${response.status}: ${shownUrl}`,
				{
					hint: 'Image URLs may expire; run Wait for Job again soon after generation.',
					details: { url: shownUrl },
					httpStatus: response.status,
				},
			);
		}
		const declared = Number(header(response, 'content-length'));
		if (Number.isFinite(declared) && declared > MAX_IMAGE_BYTES) {
			drain(response.body);
			throw tooLarge(shownUrl, declared);
		}
		mimeType = (header(response, 'content-type') ?? ref.contentType ?? 'application/octet-stream')
			.split(';')[0]
			.trim();
		source = response.body as ByteStream | Buffer;
		bytesRead = response.bytesRead;
	}
	if (!mimeType.startsWith('image/') && ref.contentType?.startsWith('image/'))
		mimeType = ref.contentType;
	const fileName =
		ref.fileName ?? `${options.baseName}.${EXTENSIONS[mimeType] ?? extensionOf(ref.url) ?? 'bin'}`;
	// Always pass a mime type: without one n8n sniffs the bytes with a dynamic ESM import.
	const binary = await context.helpers.prepareBinaryData(
		source as Parameters<IExecuteFunctions['helpers']['prepareBinaryData']>[0],
		fileName,
		mimeType,
	);
	return {
		binary,
		url: outputUrl,
		mimeType,
		fileName,
		sizeBytes: bytesRead?.() ?? counted.bytes,
		width: ref.width,
		height: ref.height,
	};
}

function tooLarge(what: string, bytes: number): HttpError {
	return new HttpError(
		`The image at ${what} is ${formatBytes(bytes)}, larger than the ${formatBytes(MAX_IMAGE_BYTES)} this node accepts; it was not downloaded`,
		{
			hint: 'The service sent far more than an image should be; check the URL.',
			details: { maxBytes: MAX_IMAGE_BYTES },
		},
	);
}

/** An image's metadata as both nodes output it beside the binary. */
export function imageMeta(index: number, image: DownloadedImage): IDataObject {
	return {
		index,
		url: image.url,
		mimeType: image.mimeType,
		fileName: image.fileName,
		sizeBytes: image.sizeBytes,
		width: image.width ?? null,
		height: image.height ?? null,
	};
}

function safeDecode(text: string): string {
	try {
		return decodeURIComponent(text);
	} catch {
		return text;
	}
}

function drain(body: unknown): void {
	(body as { destroy?: () => void } | null)?.destroy?.();
}

function extensionOf(url: string): string | undefined {
	try {
		const match = /\.([a-z0-9]{2,5})$/i.exec(new URL(url).pathname);
		return match?.[1].toLowerCase();
	} catch {
		return undefined;
	}
}
