import { findImages, readStatus, STATUS_WORDS } from '../../nodes/shared/jobs/shapes';
import { parseRetryAfter } from '../../nodes/shared/jobs/poller';

describe('job status shapes', () => {
	it.each(STATUS_WORDS.pending.map((w) => [w]))('"%s" is still running', (word) => {
		expect(readStatus({ status: word }).state).toBe('pending');
	});

	it.each(['IN_QUEUE', 'IN_PROGRESS', 'In Progress', 'queued', 'RUNNING'])(
		'reads %s in any case and spelling',
		(word) => {
			expect(readStatus({ status: word }).state).toBe('pending');
		},
	);

	it.each(STATUS_WORDS.failed.map((w) => [w]))('"%s" is a failure, with the reason', (word) => {
		expect(readStatus({ state: word, error: { message: 'prompt refused' } })).toEqual({
			state: 'failed',
			reason: 'prompt refused',
		});
	});

	it('a failure without a reason names its status', () => {
		expect(readStatus({ status: 'canceled' })).toEqual({
			state: 'failed',
			reason: 'the job ended with status "canceled"',
		});
	});

	it.each([
		[
			'images[].url',
			{
				status: 'completed',
				images: [{ url: 'https://x/a.png', content_type: 'image/png', width: 2, height: 1 }],
			},
		],
		['result.images', { status: 'succeeded', result: { images: [{ url: 'https://x/a.png' }] } }],
		['data.images', { data: { status: 'done', images: ['https://x/a.png'] } }],
		['output (string)', { status: 'succeeded', output: 'https://x/a.png' }],
		['output (array)', { status: 'succeeded', output: ['https://x/a.png'] }],
		['imageUrl', { state: 'finished', imageUrl: 'https://x/a.png' }],
		['url', { status: 'ready', url: 'https://x/a.png' }],
		['image_url without a status', { image_url: 'https://x/a.png' }],
		['a data: URI', { status: 'completed', images: ['data:image/png;base64,iVBORw0KGgo='] }],
	])('finds images at %s', (_path, body) => {
		const reading = readStatus(body);
		expect(reading.state).toBe('done');
		if (reading.state !== 'done') return;
		expect(reading.images).toHaveLength(1);
		expect(reading.images[0].url).toMatch(/^(https:\/\/x\/a\.png|data:image\/png;base64,)/);
	});

	it('keeps content type and size from the image entry', () => {
		expect(
			findImages({
				images: [
					{
						url: 'https://x/a.png',
						content_type: 'image/png',
						width: 96,
						height: 54,
						file_name: 'a.png',
					},
				],
			}),
		).toEqual([
			{
				url: 'https://x/a.png',
				contentType: 'image/png',
				width: 96,
				height: 54,
				fileName: 'a.png',
			},
		]);
	});

	it('fal-style COMPLETED points at response_url', () => {
		expect(
			readStatus({ status: 'COMPLETED', request_id: 'r1', response_url: 'https://q/requests/r1' }),
		).toEqual({
			state: 'done',
			images: [],
			resultUrl: 'https://q/requests/r1',
		});
	});

	it('fal-style COMPLETED with an error is a failure', () => {
		expect(readStatus({ status: 'COMPLETED', error: 'NSFW content detected' })).toEqual({
			state: 'failed',
			reason: 'NSFW content detected',
		});
	});

	it.each([
		[null],
		['<html>'],
		[[1, 2]],
		[{ foo: 'bar' }],
		[{ status: 'mysterious' }],
		[{ url: 'ftp://x/a.png' }],
	])('%p is unreadable', (body) => {
		expect(readStatus(body).state).toBe('unreadable');
	});

	it('reads Retry-After as seconds or an HTTP date', () => {
		expect(parseRetryAfter('3', 0)).toBe(3000);
		expect(parseRetryAfter('0.5', 0)).toBe(500);
		const now = Date.parse('2026-01-01T00:00:00Z');
		expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
		expect(parseRetryAfter('soon', now)).toBeUndefined();
		expect(parseRetryAfter(undefined, now)).toBeUndefined();
	});
});
