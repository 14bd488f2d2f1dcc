/**
 * The per-item loop both nodes share (runItems): input order, the concurrency bound,
 * pairedItem on every item (error items too), Continue On Fail, stopping on the first
 * failure without abandoning items in flight, cancellation, and slots given up while an item
 * only waits. And isToolRun on n8n 1.x / 2.x contexts.
 */
import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { InputError } from '../../nodes/shared/errors';
import { isToolRun, runItems } from '../../nodes/shared/items';

function context(options: { signal?: AbortSignal } = {}) {
	const warnings: string[] = [];
	const ctx = {
		getExecutionCancelSignal: () => options.signal,
		getNode: () => ({
			id: 'n',
			name: 'Generate',
			type: 'test',
			typeVersion: 1,
			position: [0, 0],
			parameters: {},
		}),
		logger: { warn: (message: string) => warnings.push(message) },
	} as unknown as IExecuteFunctions;
	return { ctx, warnings };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Continue On Fail off. */
const STOP = { continueOnFail: false };

it('keeps input order, pairs every output item with its input, and never runs more than the bound at once', async () => {
	let active = 0;
	let most = 0;
	const out = await runItems(
		context().ctx,
		12,
		3,
		async (i) => {
			active++;
			most = Math.max(most, active);
			await sleep(((i * 7) % 5) * 3); // items end out of order
			active--;
			return i % 4 === 0
				? [{ json: { i, part: 'a' } }, { json: { i, part: 'b' } }]
				: [{ json: { i } }];
		},
		STOP,
	);
	expect(most).toBe(3);
	expect(out.map((item) => item.json.i)).toEqual([0, 0, 1, 2, 3, 4, 4, 5, 6, 7, 8, 8, 9, 10, 11]);
	expect(out.every((item) => (item.pairedItem as { item: number }).item === item.json.i)).toBe(
		true,
	);
});

it('with Continue On Fail: a failed item becomes an error item paired with its input, the others go on', async () => {
	const out = await runItems(
		context().ctx,
		3,
		2,
		async (i) => {
			if (i === 1) throw new InputError('Prompt', 'is empty', 'Describe the image.');
			return [{ json: { i } }];
		},
		{ continueOnFail: true },
	);
	expect(out).toEqual([
		{ json: { i: 0 }, pairedItem: { item: 0 } },
		{
			json: expect.objectContaining({
				error: 'Prompt: is empty',
				errorKind: 'input',
				hint: 'Describe the image.',
			}),
			pairedItem: { item: 1 },
		},
		{ json: { i: 2 }, pairedItem: { item: 2 } },
	]);
});

it('without it: the first failure starts no new item, lets the ones in flight finish, and fails naming what was done', async () => {
	const finished: number[] = [];
	const failure = await runItems(
		context().ctx,
		10,
		2,
		async (i) => {
			if (i === 1) {
				await sleep(5);
				throw new InputError('Seed', 'is not a number');
			}
			await sleep(i === 0 ? 20 : 1); // item 0 is still in flight when item 1 fails
			finished.push(i);
			return [{ json: { jobId: `job-${i}` } }];
		},
		{
			continueOnFail: false,
			describeDone: (done) =>
				`done: ${done
					.flat()
					.map((d) => String(d.json.jobId))
					.join(', ')}`,
		},
	).catch((e: unknown) => e);
	expect(failure).toBeInstanceOf(NodeOperationError);
	expect((failure as NodeOperationError).message).toBe('Seed: is not a number');
	expect((failure as NodeOperationError).description).toContain('done: job-0');
	expect(finished).toEqual([0]); // in flight, finished; nothing new was started after the failure
});

it('stops starting items when the execution is cancelled and says so', async () => {
	const cancel = new AbortController();
	const started: number[] = [];
	const { ctx } = context({ signal: cancel.signal });
	const result = runItems(
		ctx,
		20,
		2,
		async (i): Promise<INodeExecutionData[]> => {
			started.push(i);
			if (i === 3) cancel.abort();
			await sleep(2);
			return [{ json: { i } }];
		},
		STOP,
	).catch((e: unknown) => e);
	const error = await result;
	expect(error).toBeInstanceOf(NodeOperationError);
	expect((error as Error).message).toMatch(/canceled/);
	expect(started.length).toBeLessThanOrEqual(5);
});

it('an item that gives up its slot lets the next start, and takes one again for bounded work', async () => {
	let working = 0;
	let mostWorking = 0;
	let waiting = 0;
	let mostWaiting = 0;
	const work = async <T>(fn: () => Promise<T>) => {
		working++;
		mostWorking = Math.max(mostWorking, working);
		try {
			return await fn();
		} finally {
			working--;
		}
	};
	const out = await runItems(
		context().ctx,
		12,
		3,
		async (i, slot) => {
			await work(() => sleep(5)); // the paid request: holds the slot
			slot.release(); // the answer is in: waiting for the chain needs no slot
			slot.release(); // once only
			waiting++;
			mostWaiting = Math.max(mostWaiting, waiting);
			await sleep(30);
			waiting--;
			await slot.within(() => work(() => sleep(5))); // a download: bounded again
			return [{ json: { i } }];
		},
		STOP,
	);
	expect(out.map((item) => item.json.i)).toEqual([...Array(12).keys()]);
	expect(mostWorking).toBeLessThanOrEqual(3);
	expect(mostWaiting).toBeGreaterThan(3);
});

it('knows a tool run on every path: the Tool type (engine path, n8n 1.x), or isToolExecution (older wrapper)', () => {
	const ctx = (type: string, isToolExecution?: () => boolean) =>
		({
			getNode: () => ({ type }),
			...(isToolExecution ? { isToolExecution } : {}),
		}) as unknown as IExecuteFunctions;
	const plain = 'n8n-nodes-nano-banana.nanoBananaGenerate';
	const tool = 'n8n-nodes-nano-banana.nanoBananaGenerateTool';
	expect(isToolRun(ctx(tool, () => false))).toBe(true); // n8n 2.x engine path: isToolExecution answers false
	expect(isToolRun(ctx(tool))).toBe(true); // n8n 1.x: no isToolExecution
	expect(isToolRun(ctx(plain, () => true))).toBe(true); // the older wrapper in n8n 2.x
	expect(isToolRun(ctx(plain, () => false))).toBe(false);
	expect(isToolRun(ctx(plain))).toBe(false);
});
