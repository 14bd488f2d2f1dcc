/**
 * Real image bytes for the sandbox's jobs: a picture drawn for the prompt
 * (picture.ts), encoded by libvips (sharp) as PNG, JPEG or WebP in exactly the
 * requested aspect ratio, 1024 pixels on the long side unless told otherwise
 * (SANDBOX_IMAGE_SIZE, or the gateway's imageSize option). Development only.
 */
import { deflateSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { pictureSvg } from './picture';

export type ImageFormat = 'png' | 'jpeg' | 'webp';

export const MIME: Record<ImageFormat, string> = {
	png: 'image/png',
	jpeg: 'image/jpeg',
	webp: 'image/webp',
};

/** The long side of the sandbox's images: SANDBOX_IMAGE_SIZE, else 1024. */
export function defaultImageSize(): number {
	const n = Number(process.env.SANDBOX_IMAGE_SIZE);
	return Number.isInteger(n) && n >= 16 && n <= 4096 ? n : 1024;
}

/** Width and height for an aspect ratio like "16:9": exactly that ratio, the long side at most `longSide`. */
export function dimensions(
	aspectRatio: string,
	longSide = defaultImageSize(),
): { width: number; height: number } {
	const [a, b] = aspectRatio.split(':').map(Number);
	const k = Math.max(1, Math.floor(longSide / Math.max(a, b)));
	return { width: a * k, height: b * k };
}

export interface ImageRequest {
	prompt?: string;
	seed?: number;
	/** Long side in pixels. */
	size?: number;
	/** Instead of a picture: a PNG of incompressible pixels of at least this many bytes (memory benchmarks). */
	minBytes?: number;
}

/** The image for a job. */
export async function makeImage(
	format: ImageFormat,
	aspectRatio: string,
	request: ImageRequest = {},
): Promise<Buffer> {
	let { width, height } = dimensions(aspectRatio, request.size);
	if (request.minBytes) {
		// 3 bytes per random pixel barely compress: grow until the raw size passes minBytes.
		const scale = Math.ceil(Math.sqrt(request.minBytes / (3 * width * height)));
		if (scale > 1) ({ width, height } = { width: width * scale, height: height * scale });
		return noisePng(width, height);
	}
	const picture = sharp(
		Buffer.from(pictureSvg(request.prompt ?? 'A banana', width, height, request.seed ?? 0)),
		{ density: 72 },
	).resize(width, height, { fit: 'fill' });
	switch (format) {
		case 'png':
			return picture.png({ compressionLevel: 6 }).toBuffer();
		case 'jpeg':
			return picture.flatten({ background: '#000' }).jpeg({ quality: 85 }).toBuffer();
		case 'webp':
			return picture.webp({ quality: 82 }).toBuffer();
	}
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
	let c = n;
	for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
	return c >>> 0;
});

function crc32(buf: Buffer): number {
	let c = 0xffffffff;
	for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
	return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
	const len = Buffer.alloc(4);
	len.writeUInt32BE(data.length);
	const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
	const crc = Buffer.alloc(4);
	crc.writeUInt32BE(crc32(body));
	return Buffer.concat([len, body, crc]);
}

function noisePng(width: number, height: number): Buffer {
	const ihdr = Buffer.alloc(13);
	ihdr.writeUInt32BE(width, 0);
	ihdr.writeUInt32BE(height, 4);
	ihdr[8] = 8; // bit depth
	ihdr[9] = 2; // truecolour
	const row = 1 + width * 3;
	const raw = randomBytes(row * height);
	for (let y = 0; y < height; y++) raw[y * row] = 0; // filter: none
	const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
	return Buffer.concat([
		signature,
		chunk('IHDR', ihdr),
		chunk('IDAT', deflateSync(raw, { level: 0 })),
		chunk('IEND', Buffer.alloc(0)),
	]);
}
