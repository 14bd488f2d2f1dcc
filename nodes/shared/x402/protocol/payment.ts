/**
 * The payment vocabulary (after @x402/core's types/payments.ts): what was signed for a call,
 * the chain's word on it, and the errors of a payment that failed after signing or was made
 * before.
 */

import { NanoBananaError, NOTHING_SIGNED } from '../../errors';

/** A signed authorization, as every report of it names it. */
export interface PaymentAttempt {
	payer: string;
	payTo: string;
	network: string;
	asset: string;
	amountAtomic: string;
	amountUsdc: string;
	nonce: string;
	validBefore: string;
	x402Version: number;
}

/**
 * The token contract's word on a signed authorization: used ("charged"), unused ("not charged",
 * as of when it was asked), or not known (the RPC did not answer). The receipt, the error items
 * and the README call it `settlement`; what the server claims is `serverSettlement`.
 */
export type Settlement = 'charged' | 'not charged' | 'unknown';

/** A Unix time in seconds as an ISO date; the raw number when it is not a date (never throws). */
export function isoFromSeconds(seconds: string | number): string {
	try {
		const date = new Date(Number(seconds) * 1000);
		return Number.isNaN(date.getTime()) ? String(seconds) : date.toISOString();
	} catch {
		return String(seconds);
	}
}

/** What the chain says of a signed payment, in one sentence. */
export function settlementSentence(
	settlement: Settlement,
	attempt: Pick<PaymentAttempt, 'amountUsdc' | 'validBefore'>,
	checkedAt?: string,
	transaction?: string,
): string {
	switch (settlement) {
		case 'charged':
			return `The payment of ${attempt.amountUsdc} USDC WAS taken, once (the token contract marks this call's authorization nonce as used${transaction ? `, in transaction ${transaction}` : ''}).`;
		case 'not charged':
			return `The payment of ${attempt.amountUsdc} USDC was NOT taken as of ${checkedAt ?? 'the check'}; the signed authorization stays valid until ${isoFromSeconds(attempt.validBefore)}.`;
		default:
			return `The payment of ${attempt.amountUsdc} USDC may have been taken: it could not be checked on-chain.`;
	}
}

export interface PaymentErrorOptions {
	/** What went wrong after signing, one sentence without a final period. */
	reason: string;
	attempt: PaymentAttempt;
	settlement: Settlement;
	checkedAt?: string;
	/**
	 * The transaction that used the nonce, found in the token's AuthorizationUsed events (charged
	 * only).
	 */
	transaction?: string;
	httpStatus?: number;
	serverReason?: string;
}

/**
 * Something failed after a signature left this machine. Carries every fact a person needs
 * to find the payment (payer, payTo, amount, nonce, valid until) and the chain's word on it,
 * as properties, in the error item and in the description n8n shows when the node stops.
 * Building it never throws: a payment report is never lost to a formatting problem.
 */
export class PaymentError extends NanoBananaError {
	readonly attempt: PaymentAttempt;
	readonly settlement: Settlement;
	readonly checkedAt?: string;
	readonly transaction?: string;

	constructor(options: PaymentErrorOptions) {
		const { reason, attempt, settlement, checkedAt, transaction } = options;
		let money: string;
		try {
			money = settlementSentence(settlement, attempt, checkedAt, transaction);
		} catch {
			money = `Settlement: ${String(settlement)}.`;
		}
		super(`${reason}. ${money}`, {
			kind: 'payment',
			hint:
				settlement === 'charged'
					? 'Do not re-run this item blindly: you have paid for it. Contact the service with the payer and nonce listed here.'
					: 'This item was not retried automatically, so nothing was paid twice. Check the wallet on a block explorer (payer and nonce listed here) before running it again.',
			details: {
				signed: true,
				settlement,
				...attempt,
				validUntil: safe(() => isoFromSeconds(attempt.validBefore), String(attempt.validBefore)),
				...(transaction ? { transaction } : {}),
				...(options.serverReason ? { serverReason: options.serverReason } : {}),
				...(checkedAt ? { checkedAt } : {}),
			},
			httpStatus: options.httpStatus,
		});
		this.name = 'PaymentError';
		this.attempt = attempt;
		this.settlement = settlement;
		this.checkedAt = checkedAt;
		this.transaction = transaction;
	}

	override get signed(): boolean {
		return true;
	}

	/** true: the chain says the money moved; false: it did not (yet); undefined: unknown. */
	get paid(): boolean | undefined {
		return this.settlement === 'charged'
			? true
			: this.settlement === 'not charged'
				? false
				: undefined;
	}

	/** The facts, one line each, for the description n8n shows when the node stops. */
	override facts(): string {
		const a = this.attempt;
		return [
			`Signed: yes (x402 v${String(a.x402Version)})`,
			`Payer: ${a.payer}`,
			`Pay to: ${a.payTo}`,
			`Amount: ${a.amountUsdc} USDC (${a.amountAtomic} atomic) on ${a.network}`,
			`Nonce: ${a.nonce}`,
			`Valid until: ${safe(() => isoFromSeconds(a.validBefore), String(a.validBefore))} (validBefore ${a.validBefore})`,
			`Settlement: ${this.settlement}${this.checkedAt ? ` (checked ${this.checkedAt})` : ''}`,
			...(this.transaction ? [`Transaction: ${this.transaction}`] : []),
		].join('\n');
	}

	/** One line for a list of payments (e.g. those in flight when an execution was cancelled). */
	override summary(): string {
		const a = this.attempt;
		return `${a.amountUsdc} USDC to ${a.payTo}, payer ${a.payer}, nonce ${a.nonce}, ${this.settlement}`;
	}
}

/**
 * What the chain says of a call that was paid by an earlier try, as AlreadyPaidError reports it.
 */
export interface EarlierPayment {
	payer: string;
	nonce: string;
	/** The call's payment key, as the log lines of its tries show it. */
	paymentKey: string;
	/** Found in the token's AuthorizationUsed events; absent when not found or not readable. */
	transaction?: string;
	blockNumber?: string;
	paidAt?: string;
	payTo?: string;
	amountUsdc?: string;
	/** Why the transaction is not given, when it is not. */
	lookupNote?: string;
	explorerUrl?: string;
	checkedAt: string;
}

/**
 * This call was paid before: the token contract marks its nonce as used, so signing it again
 * could never move money. Nothing is signed; the report says where the earlier payment is.
 */
export class AlreadyPaidError extends NanoBananaError {
	readonly earlier: EarlierPayment;

	constructor(earlier: EarlierPayment) {
		const where = earlier.transaction
			? ` in transaction ${earlier.transaction}${earlier.paidAt ? ` (${earlier.paidAt})` : ''}`
			: earlier.lookupNote
				? ` (${earlier.lookupNote})`
				: '';
		super(
			`Already paid: an earlier try of this call paid for it${earlier.amountUsdc ? ` (${earlier.amountUsdc} USDC)` : ''}; the token contract marks its payment nonce ${earlier.nonce} as used${where}. ${NOTHING_SIGNED} now.`,
			{
				kind: 'already paid',
				hint: 'That earlier try\'s answer (its job) was lost, e.g. with a worker that stopped or a run that failed after paying. Find the job with the service by the transaction, or search the n8n logs for the nonce (the "payment signed" line names the workflow, execution and item). To pay for a new image on purpose, use another Idempotency Key or run the workflow as a new execution.',
				details: {
					signed: false,
					alreadyPaid: true,
					settlement: 'charged',
					...withoutUndefined(earlier),
				},
			},
		);
		this.name = 'AlreadyPaidError';
		this.earlier = earlier;
	}
}

function withoutUndefined(value: object): Record<string, unknown> {
	return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

function safe<T>(fn: () => T, fallback: T): T {
	try {
		return fn();
	} catch {
		return fallback;
	}
}
