import {
	ASPECT_RATIOS,
	buildGenerateBody,
	OUTPUT_FORMATS,
	parseGenerateAnswer,
} from '../../nodes/shared/dopamint';

const ok = {
	prompt: 'a cat',
	aspectRatio: '1:1',
	outputFormat: 'png',
	seed: '',
	numImages: 1,
	syncMode: false,
	limitGenerations: false,
};

describe('the nano-banana request body', () => {
	it('builds the body Dopamint takes', () => {
		expect(
			buildGenerateBody({
				...ok,
				seed: '42',
				aspectRatio: '16:9',
				outputFormat: 'webp',
				syncMode: true,
			}),
		).toEqual({
			prompt: 'a cat',
			aspect_ratio: '16:9',
			output_format: 'webp',
			num_images: 1,
			sync_mode: true,
			limit_generations: false,
			seed: 42,
		});
		expect(buildGenerateBody(ok)).not.toHaveProperty('seed');
		expect(buildGenerateBody({ ...ok, seed: 0 }).seed).toBe(0);
	});

	it('knows the ten ratios and three formats', () => {
		expect(ASPECT_RATIOS).toEqual([
			'21:9',
			'16:9',
			'3:2',
			'4:3',
			'5:4',
			'1:1',
			'4:5',
			'3:4',
			'2:3',
			'9:16',
		]);
		expect(OUTPUT_FORMATS).toEqual(['jpeg', 'png', 'webp']);
	});

	it.each([
		[{ prompt: '   ' }, /^Prompt: is empty/],
		[{ prompt: undefined }, /^Prompt: is empty/],
		[{ prompt: 'x'.repeat(10_001) }, /^Prompt: is 10001 characters long/],
		[{ aspectRatio: '7:3' }, /^Aspect Ratio: "7:3" is not allowed/],
		[{ outputFormat: 'gif' }, /^Output Format: "gif" is not allowed/],
		[{ seed: '-1' }, /^Seed: "-1" is not a plain whole number/],
		[{ seed: '1.5' }, /^Seed: "1.5" is not a plain whole number/],
		[{ seed: 'abc' }, /^Seed: "abc" is not a plain whole number/],
		[{ numImages: 2 }, /^Number of Images: 2 is not allowed/],
		[{ syncMode: 'yes' }, /^Sync Mode: must be true or false/],
		[{ limitGenerations: 1 }, /^Limit Generations: must be true or false/],
	])('refuses %p naming the field', (override, message) => {
		expect(() => buildGenerateBody({ ...ok, ...override })).toThrow(message);
	});

	it('reads the answer, and says when there is no job id', () => {
		expect(
			parseGenerateAnswer({
				jobId: 'j1',
				message: 'm',
				statusUrl: 'https://s/j1',
				timestamp: 't',
				statusCode: 200,
			}),
		).toMatchObject({
			jobId: 'j1',
			statusUrl: 'https://s/j1',
		});
		expect(parseGenerateAnswer({ message: 'queued' })).toBeUndefined();
	});
});
