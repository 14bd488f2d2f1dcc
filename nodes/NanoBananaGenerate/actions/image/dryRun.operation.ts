/**
 * Dry Run: ask for the price and put it to every control the paying run asks (the credential cap,
 * Max Price, Expected Recipient, Budget per Execution, the balance, Max Spend per 24 Hours), in
 * their words; show who would pay and what it holds. Nothing is held or signed.
 */

import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { resultOf } from '../../../shared/errors';
import { dailyLimitJson, verdictsJson, walletJson } from '../../../shared/walletJson';
import { formatUsdc } from '../../../shared/x402/protocol/money';
import { describeQuote } from '../../../shared/x402/protocol/wire';
import type { ItemRequest } from '../item';
import type { GenerateRun } from '../setup';

export async function execute(
	_context: IExecuteFunctions,
	run: GenerateRun,
	item: ItemRequest,
): Promise<INodeExecutionData[]> {
	// Who would pay and what it holds, read alongside the quote: the credential test computes
	// the same facts, but n8n shows only "Connection tested successfully" after a passing test.
	const facts = resultOf(run.session.walletFacts());
	const { outcome, choice } = await run.session.preview({
		url: item.endpoint,
		body: item.body,
		timeoutMs: item.timeoutMs,
		limits: item.limits,
	});
	const wallet = await facts;
	if (!wallet.ok) throw wallet.error;
	const request = { endpoint: item.endpoint, request: { ...item.body } };
	if (outcome.kind === 'answer' || !choice) {
		return [
			{
				json: {
					dryRun: true,
					...request,
					paymentRequired: false,
					wouldPay: true,
					wallet: walletJson(run.wallet, wallet.value),
				},
			},
		];
	}
	const chosen = choice.refusal ? undefined : choice.offer;
	const price = choice.offer?.amountAtomic;
	const limit = dailyLimitJson(await run.session.dailyLimitFacts(), price);
	return [
		{
			// What a user reads first: would it pay, from which wallet, holding how much.
			json: {
				dryRun: true,
				wouldPay: !choice.refusal,
				...(choice.refusal ? { refusal: choice.refusal.message } : {}),
				wallet: walletJson(run.wallet, wallet.value, price),
				quote: describeQuote(outcome.quote, chosen),
				paymentRequired: true,
				...request,
				checks: verdictsJson(choice.verdicts),
				limits: {
					maxPriceUsdc: formatUsdc(item.limits.maxAtomic ?? run.wallet.capAtomic),
					credentialCapUsdc: formatUsdc(run.wallet.capAtomic),
					network: run.wallet.network.key,
					...(item.limits.payTo ? { expectedPayTo: item.limits.payTo } : {}),
					...(run.budget?.limitAtomic !== undefined
						? {
								budgetUsdc: formatUsdc(run.budget.limitAtomic),
								spentThisExecutionUsdc: formatUsdc(run.budget.spentAtomic),
							}
						: {}),
					...(limit ? { dailyLimit: limit } : {}),
				},
			},
		},
	];
}
