import type { IExecuteFunctions } from 'n8n-workflow';
import { downloadImage } from '../../nodes/shared/binary';
import type { HttpFn } from '../../nodes/shared/http';
import { MAX_IMAGE_BYTES } from '../../nodes/shared/limits';

const stored: Buffer[] = [];
const context = {
	helpers: {
		prepareBinaryData: async (data: Buffer, fileName: string, mimeType: string) => {
			stored.push(data);
			return { data: '', fileName, mimeType };
		},
	},
} as unknown as IExecuteFunctions;
const noHttp: HttpFn = async () => {
	throw new Error('no request expected');
};
const options = { allowedHosts: [], baseName: 'img', timeoutMs: 1_000 };

it('decodes a data: URI image within the limit', async () => {
	const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
	const image = await downloadImage(
		context,
		noHttp,
		{ url: `data:image/png;base64,${png.toString('base64')}` },
		options,
	);
	expect(image).toMatchObject({ mimeType: 'image/png', sizeBytes: 7, url: 'data:' });
	expect(stored.at(-1)).toEqual(png);
});

it('refuses a data: URI above 50 MB before decoding it', async () => {
	const payload = 'A'.repeat(Math.ceil(((MAX_IMAGE_BYTES + 1024) * 4) / 3));
	const before = stored.length;
	await expect(
		downloadImage(context, noHttp, { url: `data:image/png;base64,${payload}` }, options),
	).rejects.toThrow(/larger than the 50 MB this node accepts; it was not downloaded/);
	expect(stored.length).toBe(before);
});

it.each(['file:///etc/passwd', 'javascript:alert(1)', 'ftp://127.0.0.1/a.png'])(
	'never reads %s',
	async (url) => {
		await expect(downloadImage(context, noHttp, { url }, options)).rejects.toThrow(
			/^image URL: only http\(s\)/,
		);
	},
);
