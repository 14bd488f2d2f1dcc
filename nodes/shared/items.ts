/**
 * The per-item loop both nodes share: bounded concurrency, output in input
 * order, `pairedItem` on every item (error items too), Continue On Fail.
 *
 * Without Continue On Fail, the first failure stops new items from starting,
 * lets the ones in flight finish (an in-flight item may be paying: it is never
 * abandoned half-way), then fails the node saying what had already completed.
 */

import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { errorItemJson, NanoBananaError } from './errors';
import { toNodeError } from './nodeErrors';

export interface RunItemsOptions {
	/** How to describe completed items in the failure message (e.g. job ids that were paid). */
	describeDone?: (done: INodeExecutionData[][]) => string | undefined;
	/**
	 * Failures are answers: each failed item becomes its error item, as with Continue On Fail.
	 * For a tool run, so that a model reads what happened (whether anything was paid, what to do)
	 * and the agent goes on, instead of the error ending the workflow.
	 */
	failuresAsItems?: boolean;
	/** The node pays: its error items say what happened to the money (errorItemJson). */
	paying?: boolean;
	/** The node's Continue On Fail (its execute() reads `this.continueOnFail()`). */
	continueOnFail: boolean;
}

/**
 * An item's place among the `concurrency` that run at once. An item that only waits (for the
 * chain's word on its payment, read together with other items') gives it up with `release`, so
 * the next item starts; `within` holds one again for work that must stay bounded (downloads).
 */
export interface Slot {
	release(): void;
	within<T>(work: () => Promise<T>): Promise<T>;
}

export async function runItems(
	context: IExecuteFunctions,
	count: number,
	concurrency: number,
	run: (itemIndex: number, slot: Slot) => Promise<INodeExecutionData[]>,
	options: RunItemsOptions,
): Promise<INodeExecutionData[]> {
	const results: INodeExecutionData[][] = new Array(count);
	const keepGoing = options.continueOnFail || options.failuresAsItems === true;
	const cancelSignal = context.getExecutionCancelSignal();
	const slots = limiter(Math.max(1, concurrency));
	let failure: { error: unknown; itemIndex: number } | undefined;
	/** Payments whose outcome a cancel cut short: reported, never dropped silently. */
	const interrupted: string[] = [];

	const runOne = async (itemIndex: number, slot: Slot) => {
		try {
			const out = await run(itemIndex, slot);
			results[itemIndex] = out.map((item) => ({ ...item, pairedItem: { item: itemIndex } }));
		} catch (error) {
			if (cancelSignal?.aborted) {
				const summary = error instanceof NanoBananaError ? error.summary() : undefined;
				if (summary) interrupted.push(`item ${itemIndex}: ${summary}`);
				return;
			}
			if (keepGoing) {
				results[itemIndex] = [
					{
						json: errorItemJson(error, { paying: options.paying }),
						pairedItem: { item: itemIndex },
					},
				];
			} else if (!failure) {
				failure = { error, itemIndex };
			}
		}
	};
	// Items start in input order, each when a slot is free; none starts after a failure or a cancel.
	const started: Array<Promise<void>> = [];
	for (let itemIndex = 0; itemIndex < count; itemIndex++) {
		const slot = await slots.take();
		if (failure || cancelSignal?.aborted) {
			slot.release();
			break;
		}
		started.push(runOne(itemIndex, itemSlot(slot, slots)).finally(() => slot.release()));
	}
	await Promise.all(started);

	if (cancelSignal?.aborted) {
		// "canceled" in the message is how n8n's engine recognises a cancellation.
		const note = interrupted.length
			? ` Payments in flight when it was canceled: ${interrupted.join('; ')}.`
			: '';
		if (interrupted.length)
			context.logger.warn(`Nano-Banana: execution canceled with payments in flight.${note}`);
		throw new NodeOperationError(
			context.getNode(),
			'Execution was canceled while this node was working',
			{
				description: `Items already paid for keep their jobs on the service; nothing was retried.${note}`,
			},
		);
	}
	if (failure) {
		const nodeError = toNodeError(context.getNode(), failure.error, failure.itemIndex);
		const done = results.filter((r) => r !== undefined);
		const note = done.length ? options.describeDone?.(done) : undefined;
		if (note) nodeError.description = [nodeError.description, note].filter(Boolean).join(' ');
		throw nodeError;
	}
	return results.flat();
}

/** A slot of a limiter, given back once (a second release does nothing). */
export interface Taken {
	release(): void;
}

export interface Limiter {
	<T>(task: () => Promise<T>): Promise<T>;
	/** Waits for a free slot (first come, first served) and holds it until released. */
	take(): Promise<Taken>;
}

/**
 * At most `max` tasks at once (per execution: create one per run, never share).
 * Wait for Job polls many jobs at once but downloads a few images at a time,
 * so a burst of finished jobs does not hold every image in memory together.
 */
export function limiter(max: number): Limiter {
	let active = 0;
	const queue: Array<() => void> = [];
	const next = () => {
		while (active < max && queue.length) {
			active++;
			queue.shift()?.();
		}
	};
	const take = () =>
		new Promise<Taken>((resolve) => {
			queue.push(() => {
				let held = true;
				resolve({
					release: () => {
						if (!held) return;
						held = false;
						active--;
						next();
					},
				});
			});
			next();
		});
	const limit = async <T>(task: () => Promise<T>): Promise<T> => {
		const slot = await take();
		try {
			return await task();
		} finally {
			slot.release();
		}
	};
	return Object.assign(limit, { take });
}

/** The item's view of its slot: give it up early, hold one again for bounded work. */
function itemSlot(slot: Taken, slots: Limiter): Slot {
	let released = false;
	return {
		release: () => {
			released = true;
			slot.release();
		},
		within: async (work) => (released ? await slots(work) : await work()),
	};
}

/**
 * Whether the node runs as an AI agent's tool, on every path n8n uses. n8n offers a node to
 * agents as its tool variant, whose type ends in "Tool" (`…nanoBananaGenerateTool`): that
 * holds on the AI Agent's engine path (Agent v3 in n8n 2.x, where the engine runs the tool in a
 * plain execute context whose `isToolExecution()` answers false), on the older tool wrapper
 * (the MCP Server Trigger, n8n 1.x agents) and on n8n 1.x, which has no `isToolExecution`.
 */
export function isToolRun(context: IExecuteFunctions): boolean {
	if (context.getNode().type.endsWith('Tool')) return true;
	const probe = (context as Partial<Pick<IExecuteFunctions, 'isToolExecution'>>).isToolExecution;
	return typeof probe === 'function' ? probe.call(context) : false;
}
