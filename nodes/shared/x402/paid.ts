/**
 * The paid request of one try, and what becomes of it: its answer with a receipt, or a
 * PaymentError carrying the payment facts and the chain's verdict. Sent once, never redirected
 * (the bounded HTTP refuses redirects), never sent again.
 */

import { resultOf, type Result } from '../errors';
import { drain, materialized } from '../httpBody';
import type { HttpFn, HttpResponse } from '../http';
import { AUTHORIZATION_LOOKBACK_BLOCKS, REQUEST_TIMEOUT_MS } from '../limits';
import { chargeOf, type ChainReader, type ChargeReads } from './chain';
import type { Holds } from './controls';
import { record, type PaymentJournal } from './journal';
import { bodyExcerpt, reasonOf } from './protocol/answers';
import { PaymentError, type PaymentAttempt } from './protocol/payment';
import { parseSettlementClaim } from './protocol/wire';
import type { PaymentCall } from './once/call';
import type { QuoteCache } from './unpaid';
import { buildReceipt } from './receipt';
import type { PaidAnswer, PaidRequest } from './request';
import type { SignedPayment } from './signer';
import type { Wallet } from './wallet/credential';

export interface PaidDeps {
	http: HttpFn;
	wallet: Wallet;
	charges: ChargeReads;
	quotes: QuoteCache;
	journal?: PaymentJournal;
	afterSigning: (
		reason: string,
		extra?: { httpStatus?: number; serverReason?: string },
	) => Promise<PaymentError>;
}

/**
 * Sends the signed request once and settles the holds: they keep counting the payment, with its
 * transaction once the server or the chain names one. The journal gets the verdict.
 */
export async function sendPaid(
	request: PaidRequest,
	signed: SignedPayment,
	reused: boolean,
	holds: Holds,
	deps: PaidDeps,
): Promise<PaidAnswer> {
	const outcome = await resultOf(sendOnce(request, signed, reused, deps));
	const receipt = outcome.ok ? outcome.value.receipt : undefined;
	const transaction =
		receipt?.transactionOnChain === 'success'
			? receipt.transaction
			: !outcome.ok && outcome.error instanceof PaymentError
				? outcome.error.transaction
				: undefined;
	holds.signed({ validBefore: Number(signed.attempt.validBefore), transaction });
	if (!outcome.ok) throw outcome.error;
	if (receipt)
		record(deps.journal, {
			kind: 'settled',
			call: request.call,
			attempt: signed.attempt,
			settlement: receipt.settlement,
			transaction: receipt.transaction,
			outcome: 'answered',
		});
	return outcome.value;
}

async function sendOnce(
	request: PaidRequest,
	signed: SignedPayment,
	reused: boolean,
	deps: PaidDeps,
): Promise<PaidAnswer> {
	const send = async () =>
		await resultOf(
			deps.http({
				method: request.method ?? 'POST',
				url: request.url,
				headers: { ...(request.headers ?? {}), ...signed.headers },
				body: request.body,
				timeoutMs: request.timeoutMs ?? REQUEST_TIMEOUT_MS,
				...(request.raw ? { stream: true, maxBytes: request.raw.maxBytes } : {}),
			}),
		);
	let sent = await send();
	if (signed.paymentId && answerLost(sent)) {
		// The server keeps answers by payment id (it declared payment-identifier): the byte-identical
		// payment header, once more, asks for the original answer. Never a new signature; whether it
		// paid is read from the chain (the receipt), never inferred from a status.
		if (sent.ok) await drain(sent.value.body).catch(() => undefined);
		sent = await send();
	}
	if (!sent.ok) throw await deps.afterSigning(`The paid request failed: ${messageOf(sent.error)}`);
	const streamedOk = sent.value.status >= 200 && sent.value.status < 300;
	// An error answer is read whole (for its message); a 2xx one is handed on as it came.
	const response =
		request.raw && !streamedOk
			? await materialized(sent.value).catch(() => sent.value)
			: sent.value;
	if (response.status === 402) {
		const serverReason = parseSettlementClaim(response)?.errorReason ?? reasonOf(response);
		let reason = `The service refused the payment (HTTP 402${serverReason ? `: ${serverReason}` : ''})`;
		if (reused) {
			// The item fails rather than signing again (its refused signature stays valid until it
			// expires); later items of this session ask for their own quote.
			deps.quotes.stopReuse(`${request.method ?? 'POST'} ${request.url}`);
			reason += '. It was signed for a reused quote; later items ask for a fresh one';
		}
		throw await deps.afterSigning(reason, { httpStatus: 402, serverReason });
	}
	if (response.status < 200 || response.status >= 300) {
		throw await deps.afterSigning(
			`The service answered HTTP ${response.status} to the paid request${bodyExcerpt(response)}`,
			{ httpStatus: response.status, serverReason: reasonOf(response) },
		);
	}
	if (!request.raw && (!response.body || typeof response.body !== 'object')) {
		throw await deps.afterSigning(
			`The service answered the paid request with something that is not JSON${bodyExcerpt(response)}`,
			{ httpStatus: response.status },
		);
	}
	return await answerWithReceipt(request, response, signed, reused, deps);
}

async function answerWithReceipt(
	request: PaidRequest,
	response: HttpResponse,
	signed: SignedPayment,
	reused: boolean,
	deps: PaidDeps,
): Promise<PaidAnswer> {
	// The answer is in: the caller may let another item start while the chain is read.
	try {
		request.answered?.();
	} catch {
		// A caller's bookkeeping never fails a paid answer.
	}
	const receipt = await buildReceipt(response, signed.attempt, deps.charges, deps.wallet, reused);
	return { status: response.status, headers: response.headers, body: response.body, receipt };
}

/** An answer lost after the paid request was sent: no answer, or a 5xx without a settlement. */
function answerLost(sent: Result<HttpResponse>): boolean {
	if (!sent.ok) return true;
	return sent.value.status >= 500 && !parseSettlementClaim(sent.value);
}

/**
 * The error for a failure after signing, with the chain's settlement (and, when charged, the
 * transaction that used the nonce: this try's or an earlier try's of the same call, which share
 * it). Never throws.
 */
export async function afterSigning(
	reason: string,
	attempt: PaymentAttempt,
	context: {
		reader: () => Promise<ChainReader>;
		journal?: PaymentJournal;
		call?: PaymentCall;
		httpStatus?: number;
		serverReason?: string;
	},
): Promise<PaymentError> {
	// The holds stay counted whatever the verdict: "not charged" is a snapshot, and the signed
	// authorization could still be settled until it expires.
	const { settlement, checkedAt, use } = await chargeOf(
		context.reader,
		attempt.payer as `0x${string}`,
		attempt.nonce as `0x${string}`,
		AUTHORIZATION_LOOKBACK_BLOCKS,
	);
	const transaction = use?.transaction;
	const { journal, call, httpStatus, serverReason } = context;
	record(journal, { kind: 'settled', call, attempt, settlement, transaction, outcome: reason });
	return new PaymentError({
		reason,
		attempt,
		settlement,
		checkedAt,
		transaction,
		httpStatus,
		serverReason,
	});
}

/** The facts of a ledger entry that has none (kept only for entries from older versions). */
export function missingAttempt(): PaymentAttempt {
	return {
		payer: 'unknown',
		payTo: 'unknown',
		network: 'unknown',
		asset: 'unknown',
		amountAtomic: '0',
		amountUsdc: '0',
		nonce: 'unknown',
		validBefore: '0',
		x402Version: 0,
	};
}

function messageOf(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}
