/**
 * Get Price: the request sent unpaid; the server's offers, the one that would be paid, and every
 * limit's verdict, in the paying run's words. Nothing is held or signed.
 */

import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import type { PaidRun } from '../../shared/paidRun';
import { verdictsJson } from '../../shared/walletJson';
import { formatUsdc } from '../../shared/x402/protocol/money';
import { describeQuote } from '../../shared/x402/protocol/wire';
import type { RequestItem } from './request';
import { headersJson } from './response';

export async function execute(
	_context: IExecuteFunctions,
	run: PaidRun,
	item: RequestItem,
): Promise<INodeExecutionData[]> {
	const limits = { ...item.request.limits, ...(run.tool ? { listedHostsOnly: true } : {}) };
	const { outcome, choice } = await run.session.preview({ ...item.request, limits });
	const request = { method: item.request.method ?? 'GET', url: item.request.url };
	if (outcome.kind === 'answer' || !choice) {
		const response = outcome.kind === 'answer' ? outcome.response : undefined;
		return [
			{
				json: {
					...request,
					paymentRequired: false,
					statusCode: response?.status ?? null,
					headers: response ? headersJson(response.headers) : {},
				},
			},
		];
	}
	const chosen = choice.refusal ? undefined : choice.offer;
	return [
		{
			json: {
				...request,
				paymentRequired: true,
				wouldPay: !choice.refusal,
				...(choice.refusal ? { refusal: choice.refusal.message } : {}),
				...(chosen ? { priceUsdc: formatUsdc(chosen.amountAtomic), payTo: chosen.payTo } : {}),
				offers: outcome.quote.accepts.map(
					(offer) => describeQuote({ ...outcome.quote, accepts: [offer] }) as IDataObject,
				),
				chosen: chosen ? (describeQuote(outcome.quote, chosen) as IDataObject) : null,
				checks: verdictsJson(choice.verdicts),
			},
		},
	];
}
