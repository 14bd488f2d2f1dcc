/**
 * Dry Run: ask for the price, check it against the limits, and show who would pay and what it
 * holds. Nothing is signed.
 */

import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { resultOf } from '../../../shared/errors';
import { formatUsdc } from '../../../shared/x402/protocol/money';
import { selectRequirement, type PolicyError } from '../../../shared/x402/controls/policy';
import { dailyLimitJson } from '../../../shared/x402/wallet/history';
import { walletJson } from '../../../shared/x402/wallet/facts';
import { describeQuote, type Requirement } from '../../../shared/x402/protocol/wire';
import type { GenerateRun, ItemRequest } from '../run';

export async function execute(
	_context: IExecuteFunctions,
	run: GenerateRun,
	item: ItemRequest,
): Promise<INodeExecutionData[]> {
	// Who would pay and what it holds, read alongside the quote: the credential test computes
	// the same facts, but n8n shows only "Connection tested successfully" after a passing test.
	const facts = resultOf(run.session.walletFacts());
	const daily = run.session.dailyLimitFacts();
	const outcome = await run.session.quote({
		url: item.endpoint,
		body: item.body,
		timeoutMs: item.timeoutMs,
		limits: item.limits,
	});
	const wallet = await facts;
	if (!wallet.ok) throw wallet.error;
	if (outcome.kind === 'answer') {
		return [
			{
				json: {
					dryRun: true,
					endpoint: item.endpoint,
					request: { ...item.body },
					paymentRequired: false,
					wouldPay: true,
					wallet: walletJson(run.wallet, wallet.value),
				},
			},
		];
	}
	let refusal: string | undefined;
	let chosen: Requirement | undefined;
	try {
		chosen = selectRequirement(outcome.quote, run.wallet, item.limits);
	} catch (error) {
		refusal = (error as PolicyError).message;
	}
	const limit = dailyLimitJson(await daily, chosen?.amountAtomic);
	if (!refusal && limit?.error) refusal = String(limit.error);
	else if (!refusal && limit?.wouldPass)
		refusal = `Payment refused by the "daily limit" rule: ${String(limit.leftUsdc)} USDC is left of this wallet's ${String(limit.limitUsdc)} USDC per 24 hours, and the price is ${formatUsdc(chosen?.amountAtomic ?? 0n)} USDC. Nothing was signed or paid.`;
	return [
		{
			// What a user reads first: would it pay, from which wallet, holding how much.
			json: {
				dryRun: true,
				wouldPay: !refusal,
				...(refusal ? { refusal } : {}),
				wallet: walletJson(run.wallet, wallet.value, chosen?.amountAtomic),
				quote: describeQuote(outcome.quote, chosen),
				paymentRequired: true,
				endpoint: item.endpoint,
				request: { ...item.body },
				limits: {
					maxPriceUsdc: formatUsdc(item.limits.maxAtomic ?? run.wallet.capAtomic),
					credentialCapUsdc: formatUsdc(run.wallet.capAtomic),
					network: run.wallet.network.key,
					...(item.limits.payTo ? { expectedPayTo: item.limits.payTo } : {}),
					...(limit ? { dailyLimit: limit } : {}),
				},
			},
		},
	];
}
