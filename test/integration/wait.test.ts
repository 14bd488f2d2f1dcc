/**
 * Wait for Job in n8n's real engine, against the sandbox's job queue.
 */
import { imageSize } from 'image-size';
import { nextGapMs } from '../../nodes/shared/jobs/poller';
import { startSandbox, type Sandbox } from '../../sandbox';
import {
	connectInLine,
	ITEMS_TYPE,
	node,
	runWorkflow,
	TRIGGER_TYPE,
	WAIT_TYPE,
} from '../../harness/engine';
import { expectNoKey, generateFlow, jsonOf, SANDBOX_HOST, walletCredential } from '../helpers';

let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startSandbox({ chain: { payers: 3 }, gateway: { jobDurationMs: 400 } });
});
afterAll(async () => await sandbox?.close());
beforeEach(() => {
	sandbox.gateway.reset();
	sandbox.gateway.options.jobDurationMs = 400;
	sandbox.gateway.options.statusShape = 'dopamint';
});

const credentials = () => ({ x402WalletApi: walletCredential(sandbox, 0) });

/** Trigger -> Items(jobs) -> Wait: polls jobs created directly in the gateway (no payment needed). */
function waitOnly(
	jobs: Array<{ statusUrl: string; endpoint?: string }>,
	params: Record<string, unknown> = {},
	extra = {},
) {
	return runWorkflow(
		{
			nodes: [
				node('Start', TRIGGER_TYPE),
				node('Jobs', ITEMS_TYPE, { items: JSON.stringify(jobs) }),
				node(
					'Wait',
					WAIT_TYPE,
					{
						pollIntervalSeconds: 0.2,
						maxPollIntervalSeconds: 1,
						...params,
						options: { allowedHosts: SANDBOX_HOST, ...((params.options as object) ?? {}) },
					} as never,
					extra,
				),
			],
			connections: connectInLine('Start', 'Jobs', 'Wait'),
		},
		{ credentials: credentials() },
	);
}

/** Creates a job in the gateway as if it had been paid for (the Wait node never pays). */
function fakeJob(durationMs: number, request: Record<string, unknown> = {}) {
	const { id } = sandbox.gateway.addJob({ request: { prompt: 'x', ...request }, durationMs });
	return {
		jobId: id,
		statusUrl: `${sandbox.gateway.url}/api/ai/generations/status/${id}`,
		endpoint: sandbox.gateway.endpoint,
	};
}

it.each([
	['png', '16:9', [0x89, 0x50, 0x4e, 0x47]],
	['jpeg', '3:4', [0xff, 0xd8, 0xff]],
	['webp', '21:9', [0x52, 0x49, 0x46, 0x46]],
] as const)(
	'Trigger -> Generate -> Wait for Job returns real %s bytes with the right mime type and aspect ratio',
	async (format, ratio, magic) => {
		const result = await runWorkflow(
			generateFlow({
				endpoint: sandbox.gateway.endpoint,
				generate: { aspectRatio: ratio, outputFormat: format },
				wait: {},
			}),
			{ credentials: credentials() },
		);
		expect(result.status).toBe('success');
		const [item] = result.output('Wait');
		expect(item.json).toMatchObject({
			status: 'completed',
			image: { mimeType: `image/${format}`, index: 0 },
		});
		expect(item.binary?.data?.mimeType).toBe(`image/${format}`);
		const bytes = Buffer.from(item.binary!.data.data, 'base64');
		expect([...bytes.subarray(0, magic.length)]).toEqual(magic);
		const size = imageSize(bytes);
		const [w, h] = ratio.split(':').map(Number);
		expect(size.width * h).toBe(size.height * w);
		expect(item.json.image).toMatchObject({
			sizeBytes: bytes.length,
			width: size.width,
			height: size.height,
		});
		expect(item.pairedItem).toEqual({ item: 0 });
		expect(sandbox.gateway.counts.paid).toBe(1);
		expectNoKey(result.run, sandbox.payers[0].key);
	},
);

it("20 jobs of different durations finish in about the slowest one's time, with few polls each", async () => {
	const durations = Array.from({ length: 20 }, (_, i) => 200 + i * 95); // 0.2 s .. 2.0 s
	const jobs = durations.map((d) => fakeJob(d));
	const started = Date.now();
	const result = await waitOnly(jobs);
	const wall = Date.now() - started;
	expect(result.status).toBe('success');
	const out = result.output('Wait');
	expect(out).toHaveLength(20);
	expect(out.map((item) => item.json.jobId)).toEqual(jobs.map((j) => j.jobId)); // input order
	expect(wall).toBeLessThan(Math.max(...durations) + 1_500);
	// The schedule (Poll Interval 0.2 s, Max 1 s, undated jobs checked at once): the slowest job needs the
	// polls up to its 2.0 s plus the one that sees it done; a fixed 0.2 s interval would need one more.
	let age = 0;
	let scheduled = 1;
	while (age < Math.max(...durations)) {
		age += nextGapMs(age, 200, 1_000);
		scheduled++;
	}
	const polls = [...sandbox.gateway.polls.values()];
	expect(Math.max(...polls)).toBeLessThanOrEqual(scheduled);
	expect(scheduled).toBeLessThan(Math.max(...durations) / 200 + 1);
});

it('stops promptly when the execution is cancelled', async () => {
	const job = fakeJob(60_000);
	let cancel: () => void = () => {};
	const running = runWorkflow(
		{
			nodes: [
				node('Start', TRIGGER_TYPE),
				node('Jobs', ITEMS_TYPE, { items: JSON.stringify([job]) }),
				node('Wait', WAIT_TYPE, {
					pollIntervalSeconds: 5,
					maxPollIntervalSeconds: 5,
					options: { allowedHosts: SANDBOX_HOST },
				}),
			],
			connections: connectInLine('Start', 'Jobs', 'Wait'),
		},
		{ credentials: credentials(), onStart: (r) => (cancel = r.cancel) },
	);
	await new Promise((r) => setTimeout(r, 1_000));
	const cancelledAt = Date.now();
	cancel();
	const result = await running;
	expect(Date.now() - cancelledAt).toBeLessThan(1_000);
	expect(result.status).toBe('canceled');
	expect(sandbox.gateway.polls.get(job.jobId)).toBe(1);
});

describe('timeout', () => {
	it('fails the item by default', async () => {
		const result = await waitOnly(
			[fakeJob(60_000)],
			{ maxWaitMinutes: 0.05 },
			{ onError: 'continueRegularOutput' },
		);
		const [json] = jsonOf(result.output('Wait'));
		expect(json.error).toMatch(/still running after 0\.05 minute\(s\)/);
		expect(json).toMatchObject({ status: 'timeout', errorKind: 'job' });
	});

	it('or outputs it with status "timeout" so a workflow can loop back', async () => {
		const job = fakeJob(60_000);
		const started = Date.now();
		const result = await waitOnly([job], { maxWaitMinutes: 0.05, onTimeout: 'output' });
		expect(Date.now() - started).toBeLessThan(5_000);
		expect(result.status).toBe('success');
		const [json] = jsonOf(result.output('Wait'));
		expect(json).toMatchObject({
			status: 'timeout',
			jobId: job.jobId,
			statusUrl: job.statusUrl,
			lastStatus: 'processing',
		});
	});
});

describe('failures fail the item with a clear message', () => {
	it.each([
		[
			'a failed job',
			{ jobFails: 'prompt refused by safety filter' },
			/The job failed: prompt refused by safety filter/,
		],
		['404', { statusStatus: 404 }, /The job was not found \(HTTP 404\)/],
		['410', { statusStatus: 410 }, /The job was not found \(HTTP 410\)/],
		['402', { statusStatus: 402 }, /The status URL asks for payment \(HTTP 402\)/],
		[
			'a garbled status',
			{ statusGarbled: true },
			/The job status could not be read: <html>Bad gateway<\/html>/,
		],
	])('%s', async (_case, faults, message) => {
		Object.assign(sandbox.gateway.faults, faults);
		const result = await waitOnly([fakeJob(100)], {}, { onError: 'continueRegularOutput' });
		const out = result.output('Wait');
		expect(out).toHaveLength(1);
		expect(out[0].json.error).toMatch(message);
		expect(out[0].pairedItem).toEqual({ item: 0 });
		expect(sandbox.gateway.counts.paid).toBe(0);
	});

	it('without Continue On Fail the node fails', async () => {
		sandbox.gateway.faults.statusStatus = 404;
		const result = await waitOnly([fakeJob(100)]);
		expect(result.status).toBe('error');
		expect(result.error?.message).toMatch(/not found \(HTTP 404\)/);
	});
});

it('refuses a foreign host and says how to allow it', async () => {
	const job = fakeJob(100);
	const foreign = job.statusUrl.replace('127.0.0.1', 'localhost');
	const refused = await waitOnly(
		[{ statusUrl: foreign, endpoint: job.endpoint }],
		{},
		{ onError: 'continueRegularOutput' },
	);
	const [json] = jsonOf(refused.output('Wait'));
	expect(json.error).toMatch(/^Status URL: host "localhost:\d+" is not allowed/);
	expect(json.hint).toMatch(/add "localhost:\d+" to the node's Allowed Hosts option/);
	expect(sandbox.gateway.counts.status).toBe(0);

	const port = new URL(foreign).host;
	// The images live on the gateway's 127.0.0.1 address: allowed too, as a user would list both.
	const allowed = await waitOnly([{ statusUrl: foreign, endpoint: job.endpoint }], {
		options: { allowedHosts: `${port}, ${SANDBOX_HOST}` },
	});
	expect(jsonOf(allowed.output('Wait'))[0]).toMatchObject({ status: 'completed' });
});

it('refuses non-http URLs', async () => {
	const result = await waitOnly(
		[{ statusUrl: 'file:///etc/passwd' }],
		{},
		{ onError: 'continueRegularOutput' },
	);
	expect(jsonOf(result.output('Wait'))[0].error).toMatch(
		/^Status URL: only http\(s\) URLs are requested, not file:/,
	);
});

it('honours Retry-After', async () => {
	sandbox.gateway.faults.retryAfterSeconds = 1;
	const job = fakeJob(2_500);
	const started = Date.now();
	const result = await waitOnly([job], { pollIntervalSeconds: 0.2, maxPollIntervalSeconds: 0.3 });
	expect(result.status).toBe('success');
	// Without Retry-After a 0.2-0.3 s interval would poll ~10 times in 2.5 s; with 1 s it polls ~3-4 times.
	expect(sandbox.gateway.polls.get(job.jobId)).toBeLessThanOrEqual(4);
	expect(Date.now() - started).toBeGreaterThanOrEqual(2_500);
});

it('rides out transient 503s', async () => {
	sandbox.gateway.faults.statusTransientErrors = 3;
	const result = await waitOnly([fakeJob(100)]);
	expect(result.status).toBe('success');
	expect(jsonOf(result.output('Wait'))[0]).toMatchObject({ status: 'completed' });
});

it('follows a fal-style queue to its response_url', async () => {
	sandbox.gateway.options.statusShape = 'fal';
	const result = await waitOnly([fakeJob(300, { output_format: 'png' })]);
	expect(result.status).toBe('success');
	expect(jsonOf(result.output('Wait'))[0]).toMatchObject({
		status: 'completed',
		image: { mimeType: 'image/png' },
	});
	expect(sandbox.gateway.counts.result).toBe(1);
});

it('can output URLs only, one item per job', async () => {
	const result = await waitOnly([fakeJob(100), fakeJob(100)], {
		downloadImages: false,
		output: 'perJob',
	});
	const out = result.output('Wait');
	expect(out).toHaveLength(2);
	expect(out[0].binary).toBeUndefined();
	expect(out[0].json).toMatchObject({
		status: 'completed',
		imageUrls: [expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/images\//)],
	});
	expect(sandbox.gateway.counts.image).toBe(0);
});

it('validates its own fields', async () => {
	const result = await waitOnly(
		[fakeJob(100)],
		{ pollIntervalSeconds: 5, maxPollIntervalSeconds: 1 },
		{ onError: 'continueRegularOutput' },
	);
	expect(jsonOf(result.output('Wait'))[0].error).toMatch(
		/^Max Poll Interval \(Seconds\): \(1\) is below Poll Interval \(5\)/,
	);
	const empty = await waitOnly(
		[{ statusUrl: '' }],
		{ statusUrl: '={{ $json.statusUrl }}' },
		{ onError: 'continueRegularOutput' },
	);
	expect(jsonOf(empty.output('Wait'))[0].error).toMatch(/^Status URL: is empty/);
});

it('refuses a bad run-wide Concurrency and a bad Binary Field, naming them', async () => {
	const concurrency = await waitOnly(
		[fakeJob(100)],
		{ options: { concurrency: 0 } },
		{ onError: 'continueRegularOutput' },
	);
	expect(jsonOf(concurrency.output('Wait'))[0].error).toMatch(
		/^Concurrency: must be a whole number from 1 to 200, got 0/,
	);
	const field = await waitOnly(
		[fakeJob(100)],
		{ binaryPropertyName: 'my image' },
		{ onError: 'continueRegularOutput' },
	);
	expect(jsonOf(field.output('Wait'))[0].error).toMatch(
		/^Binary Field: "my image" is not a valid field name/,
	);
	expect(sandbox.gateway.counts.image).toBe(0);
});
