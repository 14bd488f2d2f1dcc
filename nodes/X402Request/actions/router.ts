/**
 * X402 Request's run: set up once (the shared paying run), then every item through the shared
 * per-item loop to its operation: send (and pay), or get the price.
 */

import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { isToolRun, runItems } from '../../shared/items';
import {
	loadWallet,
	readRepeatsAhead,
	recordSpending,
	setUpRun,
	type RunSetup,
} from '../../shared/paidRun';
import { oneOf } from '../../shared/validate';
import * as getPrice from './getPrice.operation';
import { readRequest } from './request';
import * as sendRequest from './sendRequest.operation';

/** The settings a model never fills (see notFromModel): money and safety. */
const AUTHOR_ONLY = {
	'options.maxPriceUsdc': 'Max Price per Request (USDC)',
	'options.budgetUsdc': 'Budget per Execution (USDC)',
	'options.allowedHosts': 'Allowed Hosts',
	'options.expectedPayTo': 'Expected Recipient',
	'options.idempotencyKey': 'Idempotency Key',
	operation: 'Operation',
};

const operationOf = (context: IExecuteFunctions, itemIndex: number) =>
	oneOf(context.getNodeParameter('operation', itemIndex, 'sendRequest'), 'Operation', [
		'getPrice',
		'sendRequest',
	]);

export async function route(
	context: IExecuteFunctions,
	continueOnFail: boolean,
): Promise<INodeExecutionData[][]> {
	const count = context.getInputData().length;
	const setup: RunSetup = setUpRun(context, await loadWallet(context), AUTHOR_ONLY);
	if (setup.ok)
		readRepeatsAhead(context, setup.run, count, (i) => operationOf(context, i) === 'getPrice');
	try {
		const output = await runItems(
			context,
			count,
			setup.concurrency,
			async (itemIndex, slot) => {
				const item = readRequest(context, itemIndex, setup.ok ? setup.run.wallet : setup.wallet);
				if (!setup.ok) throw setup.error;
				return operationOf(context, itemIndex) === 'getPrice'
					? await getPrice.execute(context, setup.run, item)
					: await sendRequest.execute(context, setup.run, item, itemIndex, slot);
			},
			{ paying: true, continueOnFail, failuresAsItems: isToolRun(context) },
		);
		return [output];
	} finally {
		if (setup.ok) recordSpending(context, setup.run);
	}
}
