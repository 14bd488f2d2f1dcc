/**
 * Generate's run: set up once, then every item through the shared per-item loop (order,
 * concurrency, pairedItem, Continue On Fail) to its operation: pay and submit, or Dry Run.
 */

import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { isToolRun, runItems, type Slot } from '../../shared/items';
import * as dryRun from './image/dryRun.operation';
import * as generate from './image/generate.operation';
import { readItem } from './item';
import { expectRepeats, loadWallet, recordSpending, setUpGenerate, type RunSetup } from './setup';

export async function route(
	context: IExecuteFunctions,
	continueOnFail: boolean,
): Promise<INodeExecutionData[][]> {
	const count = context.getInputData().length;
	const setup = setUpGenerate(context, await loadWallet(context));
	if (setup.ok) expectRepeats(context, setup.run, count);
	try {
		const output = await runItems(
			context,
			count,
			setup.concurrency,
			async (itemIndex, slot) => await runItem(context, setup, itemIndex, slot),
			{
				describeDone: describePaid,
				paying: true,
				continueOnFail,
				failuresAsItems: isToolRun(context),
			},
		);
		return [output];
	} finally {
		if (setup.ok) recordSpending(context, setup.run);
	}
}

async function runItem(
	context: IExecuteFunctions,
	setup: RunSetup,
	itemIndex: number,
	slot: Slot,
): Promise<INodeExecutionData[]> {
	// Everything an item asks for is validated before any request: nothing is paid for an invalid
	// item.
	const item = readItem(context, itemIndex, setup.ok ? setup.run.wallet : setup.wallet);
	if (!setup.ok) throw setup.error;
	return item.dryRun
		? await dryRun.execute(context, setup.run, item)
		: await generate.execute(context, setup.run, item, itemIndex, slot);
}

/** What the failure message adds about items already paid when the node stops. */
function describePaid(done: INodeExecutionData[][]): string | undefined {
	const paid = done
		.flat()
		.filter((item) => (item.json.payment as { nonce?: unknown } | null | undefined)?.nonce);
	if (!paid.length) return undefined;
	const jobs = paid.map((item) => String(item.json.jobId)).join(', ');
	return `Before the failure, ${paid.length} other item(s) of this run were paid and submitted (jobs: ${jobs}); their output is lost because the node stopped. Turn on Continue On Fail to keep successful items.`;
}
