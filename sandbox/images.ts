/**
 * Real image bytes for the sandbox's jobs: PNG, JPEG and WebP with the right
 * magic bytes and exactly the requested aspect ratio. Development only.
 */
import { deflateSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import jpeg from 'jpeg-js';

export type ImageFormat = 'png' | 'jpeg' | 'webp';

export const MIME: Record<ImageFormat, string> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' };

/** Width and height for an aspect ratio like "16:9", exact, with the long side near `longSide`. */
export function dimensions(aspectRatio: string, longSide = 96): { width: number; height: number } {
	const [a, b] = aspectRatio.split(':').map(Number);
	const k = Math.max(1, Math.floor(longSide / Math.max(a, b)));
	return { width: a * k, height: b * k };
}

/** Makes an image; `minBytes` pads PNGs with incompressible pixels to reach a size (memory benchmarks). */
export function makeImage(format: ImageFormat, aspectRatio: string, options: { minBytes?: number; seed?: number } = {}): Buffer {
	let { width, height } = dimensions(aspectRatio);
	if (options.minBytes && format === 'png') {
		// 3 bytes per random pixel barely compress: grow until the raw size passes minBytes.
		const scale = Math.ceil(Math.sqrt(options.minBytes / (3 * width * height)));
		if (scale > 1) ({ width, height } = { width: width * scale, height: height * scale });
	}
	const color = colorFor(options.seed ?? 0);
	switch (format) {
		case 'png':
			return png(width, height, color, !!options.minBytes);
		case 'jpeg':
			return jpg(width, height, color);
		case 'webp':
			return webp(width, height, color);
	}
}

function colorFor(seed: number): [number, number, number] {
	return [(seed * 67 + 200) % 256, (seed * 131 + 180) % 256, (seed * 29 + 40) % 256];
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

function png(width: number, height: number, color: [number, number, number], noise: boolean): Buffer {
	const ihdr = Buffer.alloc(13);
	ihdr.writeUInt32BE(width, 0);
	ihdr.writeUInt32BE(height, 4);
	ihdr[8] = 8; // bit depth
	ihdr[9] = 2; // truecolour
	const row = 1 + width * 3;
	const raw = noise ? randomBytes(row * height) : Buffer.alloc(row * height);
	for (let y = 0; y < height; y++) {
		raw[y * row] = 0; // filter: none
		if (!noise) for (let x = 0; x < width; x++) raw.set(color, y * row + 1 + x * 3);
	}
	const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
	return Buffer.concat([
		signature,
		chunk('IHDR', ihdr),
		chunk('IDAT', deflateSync(raw, { level: noise ? 0 : 6 })),
		chunk('IEND', Buffer.alloc(0)),
	]);
}

function jpg(width: number, height: number, color: [number, number, number]): Buffer {
	const data = Buffer.alloc(width * height * 4);
	for (let i = 0; i < width * height; i++) data.set([...color, 255], i * 4);
	return jpeg.encode({ data, width, height }, 80).data;
}

/**
 * A lossless (VP8L) WebP of one colour: every Huffman code has a single
 * symbol, so each pixel costs zero bits and the whole image is its headers.
 */
function webp(width: number, height: number, color: [number, number, number]): Buffer {
	const bits: number[] = [];
	const put = (value: number, count: number) => {
		for (let i = 0; i < count; i++) bits.push((value >> i) & 1);
	};
	put(width - 1, 14);
	put(height - 1, 14);
	put(0, 1); // alpha not used
	put(0, 3); // version 0
	put(0, 1); // no transform
	put(0, 1); // no colour cache
	put(0, 1); // no meta Huffman codes
	// Five prefix codes: green (+lengths), red, blue, alpha, distance; each "simple", one 8-bit symbol.
	const symbols = [color[1], color[0], color[2], 255, 0];
	for (const symbol of symbols) {
		put(1, 1); // simple code
		put(0, 1); // one symbol
		put(1, 1); // symbol is 8 bits wide
		put(symbol, 8);
	}
	const payload = Buffer.alloc(1 + Math.ceil(bits.length / 8));
	payload[0] = 0x2f; // VP8L signature
	bits.forEach((bit, i) => {
		if (bit) payload[1 + (i >> 3)] |= 1 << (i & 7);
	});
	const padded = payload.length % 2 ? Buffer.concat([payload, Buffer.alloc(1)]) : payload;
	const vp8l = Buffer.concat([Buffer.from('VP8L'), u32le(payload.length), padded]);
	return Buffer.concat([Buffer.from('RIFF'), u32le(4 + vp8l.length), Buffer.from('WEBP'), vp8l]);
}

function u32le(n: number): Buffer {
	const b = Buffer.alloc(4);
	b.writeUInt32LE(n);
	return b;
}
