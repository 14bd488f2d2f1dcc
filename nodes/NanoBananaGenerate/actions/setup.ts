/** Generate's run: the shared set-up of a paying node, with the settings a model never fills. */

import type { IExecuteFunctions } from 'n8n-workflow';
import { readRepeatsAhead, setUpRun, type PaidRun, type RunSetup } from '../../shared/paidRun';
import type { Wallet } from '../../shared/x402/wallet/credential';

export { loadWallet, recordSpending } from '../../shared/paidRun';
export type GenerateRun = PaidRun;
export type { RunSetup };

/** The settings a model never fills (see notFromModel). */
const AUTHOR_ONLY = {
	'options.maxPriceUsdc': 'Max Price per Image (USDC)',
	'options.budgetUsdc': 'Budget per Execution (USDC)',
	'options.endpointUrl': 'Endpoint URL',
	'options.allowedHosts': 'Allowed Image Hosts',
	'options.expectedPayTo': 'Expected Recipient',
	'options.dryRun': 'Dry Run',
};

export function setUpGenerate(context: IExecuteFunctions, wallet: Wallet | Error): RunSetup {
	return setUpRun(context, wallet, AUTHOR_ONLY);
}

/** The calls that may have been tried before are read from the chain at once (Dry Run pays nothing). */
export function expectRepeats(context: IExecuteFunctions, run: PaidRun, count: number): void {
	readRepeatsAhead(context, run, count, (_itemIndex, options) => options.dryRun === true);
}
