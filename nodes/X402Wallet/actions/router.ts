/**
 * X402 Wallet's run: the wallet set up once, then every item through the shared per-item loop to
 * its operation. Nothing here signs or pays.
 */

import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { resultOf } from '../../shared/errors';
import { isToolRun, runItems } from '../../shared/items';
import { oneOf } from '../../shared/validate';
import * as checkPayment from './checkPayment.operation';
import * as getBalance from './getBalance.operation';
import * as getPayments from './getPayments.operation';
import { setUpWallet } from './setup';

/** The operations, by the value of the Operation parameter. */
const OPERATIONS = { getBalance, getPayments, checkPayment } as const;

/** Chain reads at once: a few, so a list of items does not flood a public RPC. */
const READS_AT_ONCE = 4;

export async function route(
	context: IExecuteFunctions,
	continueOnFail: boolean,
): Promise<INodeExecutionData[][]> {
	const setup = await resultOf(setUpWallet(context));
	const output = await runItems(
		context,
		context.getInputData().length,
		READS_AT_ONCE,
		async (itemIndex) => {
			if (!setup.ok) throw setup.error;
			const operation = oneOf(
				context.getNodeParameter('operation', itemIndex, 'getBalance'),
				'Operation',
				Object.keys(OPERATIONS) as Array<keyof typeof OPERATIONS>,
			);
			return await OPERATIONS[operation].execute(context, setup.value, itemIndex);
		},
		{ continueOnFail, failuresAsItems: isToolRun(context) },
	);
	return [output];
}
