/** The sandbox's pictures: decodable by real decoders, the requested shape, and not a flat colour. */
import jpeg from 'jpeg-js';
import sharp from 'sharp';
import { dimensions, makeImage, type ImageFormat } from '../../sandbox/images';
import { pictureSvg } from '../../sandbox/picture';

const PROMPT = 'A ripe banana wearing sunglasses on a beach at sunset, studio product photo';

describe('sandbox pictures', () => {
	it.each<[ImageFormat, string, string]>([
		['png', '16:9', 'png'],
		['jpeg', '9:16', 'jpeg'],
		['webp', '1:1', 'webp'],
	])(
		'%s %s decodes with libvips to the requested size, with many colours',
		async (format, aspect, decoded) => {
			const bytes = await makeImage(format, aspect, { prompt: PROMPT, size: 256 });
			const { width, height } = dimensions(aspect, 256);
			const meta = await sharp(bytes).metadata();
			expect(meta.format).toBe(decoded);
			expect([meta.width, meta.height]).toEqual([width, height]);
			expect(Math.max(width, height)).toBeGreaterThan(240);
			const stats = await sharp(bytes).stats();
			// A flat square has no spread; a picture has plenty in every channel.
			for (const channel of stats.channels.slice(0, 3)) expect(channel.stdev).toBeGreaterThan(20);
		},
	);

	it('a JPEG decodes with an independent decoder too (jpeg-js)', async () => {
		const bytes = await makeImage('jpeg', '4:3', { prompt: PROMPT, size: 200 });
		const image = jpeg.decode(bytes);
		expect([image.width, image.height]).toEqual([200, 150]);
	});

	it('draws from the prompt: different prompts, different pictures; the caption is the prompt', async () => {
		const beach = await sharp(await makeImage('png', '1:1', { prompt: PROMPT, size: 128 }))
			.raw()
			.toBuffer();
		const space = await sharp(
			await makeImage('png', '1:1', {
				prompt: 'A banana astronaut floating above the Earth',
				size: 128,
			}),
		)
			.raw()
			.toBuffer();
		expect(beach.equals(space)).toBe(false);
		expect(pictureSvg('Cats & <dogs>', 300, 200)).toContain('Cats &amp; &lt;dogs&gt;');
	});

	it('is 1024 pixels on the long side unless told otherwise', () => {
		const saved = process.env.SANDBOX_IMAGE_SIZE;
		delete process.env.SANDBOX_IMAGE_SIZE;
		try {
			expect(dimensions('16:9')).toEqual({ width: 1024, height: 576 });
			expect(dimensions('21:9')).toEqual({ width: 1008, height: 432 });
		} finally {
			process.env.SANDBOX_IMAGE_SIZE = saved;
		}
	});
});
