/**
 * The record of a payment that outlives the worker, in n8n's log: the payment session's journal
 * as the paying nodes write it.
 */

import type { IExecuteFunctions } from 'n8n-workflow';
import type { PaymentEvent } from './x402/journal';
import { isoFromSeconds } from './x402/protocol/payment';

/**
 * The record of a payment that outlives the worker: a line in n8n's log before the payment
 * header leaves, and one with its settlement. n8n's default text log format keeps only the
 * message, so every fact is in it (the metadata object is kept with N8N_LOG_FORMAT=json).
 * Never the key: the facts are the signed authorization's, the call's and the chain's.
 */
export function logPayment(context: IExecuteFunctions, event: PaymentEvent): void {
	const where = event.call?.where ?? {};
	const place = `workflow ${String(where.workflow ?? '?')}, execution ${String(where.execution || 'none yet')}${where.retryOf ? ` (retry of ${String(where.retryOf)})` : ''}, node "${String(where.node ?? '?')}", item ${String(where.item ?? '?')}`;
	const key = event.call ? `; payment key ${event.call.key.slice(0, 600)}` : '';
	if (event.kind === 'signed') {
		const a = event.attempt;
		const message = `n8n-nodes-nano-banana: payment signed, about to be sent: ${a.amountUsdc} USDC from ${a.payer} to ${a.payTo} on ${a.network}, nonce ${a.nonce}, valid until ${isoFromSeconds(a.validBefore)}; ${place}${key}`;
		context.logger.info(message, {
			event: 'x402 payment signed',
			...a,
			...where,
			paymentKey: event.call?.key,
		});
	} else if (event.kind === 'settled') {
		const a = event.attempt;
		const message = `n8n-nodes-nano-banana: payment ${event.settlement}${event.transaction ? `, transaction ${event.transaction}` : ''} (${event.outcome.slice(0, 300)}): ${a.amountUsdc} USDC from ${a.payer} to ${a.payTo}, nonce ${a.nonce}; ${place}${key}`;
		context.logger.info(message, {
			event: 'x402 payment settled',
			settlement: event.settlement,
			transaction: event.transaction ?? null,
			...a,
			...where,
			paymentKey: event.call?.key,
		});
	} else {
		const e = event.earlier;
		const message = `n8n-nodes-nano-banana: already paid, not signed again: nonce ${e.nonce} of ${e.payer} is used${e.transaction ? ` (transaction ${e.transaction})` : ''}; ${place}${key}`;
		context.logger.info(message, { event: 'x402 already paid', ...e, ...where });
	}
}
