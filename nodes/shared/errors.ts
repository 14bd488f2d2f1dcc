import type { INode, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

/**
 * Typed errors of the shared modules, and the one mapper that turns them into
 * n8n errors. Shared code throws these; nodes call `toNodeError` at the edge.
 * Every message is safe to show: no error ever carries the private key.
 */
export type ErrorKind =
	| 'input' // a node parameter is invalid: nothing was sent
	| 'policy' // a payment rule refused the quote: nothing was signed
	| 'funds' // the wallet holds too little USDC: nothing was signed
	| 'quote' // the 402 answer could not be read: nothing was signed
	| 'gateway' // the service answered an error before any payment
	| 'payment' // something failed after signing: money may have moved
	| 'already paid' // this call was paid by an earlier try (its nonce is used on-chain): nothing was signed now
	| 'job' // a job failed, timed out or could not be read
	| 'http'; // a plain HTTP failure (status, network) outside any payment

export type ChargeVerdict = 'charged' | 'not charged' | 'unknown';

/**
 * n8n's NodeOperationError replaces any message that mentions a Node network code
 * (ECONNRESET, ETIMEDOUT, ENOTFOUND, ...) with a generic sentence such as "You can
 * retry the request immediately", which after a payment is the wrong advice and
 * hides the verdict. So our messages say those codes in words.
 */
const NETWORK_CODES: Readonly<Record<string, string>> = Object.freeze({
	ECONNREFUSED: 'connection refused',
	ECONNRESET: 'connection reset by the server',
	ENOTFOUND: 'host not found',
	ETIMEDOUT: 'connection timed out',
	ECONNABORTED: 'connection aborted',
	EHOSTUNREACH: 'host unreachable',
	EAI_AGAIN: 'name lookup failed',
	EADDRNOTAVAIL: 'address not available',
	ERRADDRINUSE: 'address in use',
	EPIPE: 'connection closed while sending',
	GETADDRINFO: 'name lookup',
	ENOENT: 'not found',
	EACCES: 'access denied',
	EPERM: 'not permitted',
	EEXIST: 'already exists',
	EISDIR: 'is a directory',
	ENOTDIR: 'is not a directory',
});

export function inWords(text: string): string {
	return text.replace(/[A-Za-z_]+/g, (word) => NETWORK_CODES[word.toUpperCase()] ?? word);
}

export class NanoBananaError extends Error {
	constructor(
		readonly kind: ErrorKind,
		message: string,
		/** What the user can do about it. */
		readonly hint?: string,
		/** Structured, key-free facts for the error item and the UI's details. */
		readonly details: Record<string, unknown> = {},
		/** HTTP status of the remote answer, when there was one. */
		readonly httpStatus?: number,
		/** The parameter at fault, for input errors. */
		readonly field?: string,
	) {
		super(inWords(message));
		this.name = 'NanoBananaError';
	}

	/** Whether a payment authorization was signed for this item (only PaymentError says yes). */
	get signed(): boolean {
		return false;
	}
}

export function inputError(field: string, message: string, hint?: string): NanoBananaError {
	return new NanoBananaError('input', `${field}: ${message}`, hint, { field }, undefined, field);
}

/** The uncertain outcome after a signature left this machine. */
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
export function verdictSentence(verdict: ChargeVerdict, attempt: Pick<PaymentAttempt, 'amountUsdc' | 'validBefore'>, checkedAt?: string, transaction?: string): string {
	switch (verdict) {
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
	verdict: ChargeVerdict;
	checkedAt?: string;
	/** The transaction that used the nonce, found in the token's AuthorizationUsed events (charged only). */
	transaction?: string;
	httpStatus?: number;
	serverReason?: string;
}

/**
 * Something failed after a signature left this machine. Carries every fact a person needs
 * to find the payment (payer, payTo, amount, nonce, valid until) and the on-chain verdict,
 * as properties, in the error item and in the description n8n shows when the node stops.
 * Building it never throws: a payment report is never lost to a formatting problem.
 */
export class PaymentError extends NanoBananaError {
	readonly attempt: PaymentAttempt;
	readonly verdict: ChargeVerdict;
	readonly checkedAt?: string;
	readonly transaction?: string;

	constructor(options: PaymentErrorOptions) {
		const { reason, attempt, verdict, checkedAt, transaction } = options;
		let money: string;
		try {
			money = verdictSentence(verdict, attempt, checkedAt, transaction);
		} catch {
			money = `Payment verdict: ${String(verdict)}.`;
		}
		super(
			'payment',
			`${reason}. ${money}`,
			verdict === 'charged'
				? 'Do not re-run this item blindly: you have paid for it. Contact the service with the payer and nonce listed here.'
				: 'This item was not retried automatically, so nothing was paid twice. Check the wallet on a block explorer (payer and nonce listed here) before running it again.',
			{
				signed: true,
				paymentStatus: verdict,
				...attempt,
				validUntil: safe(() => isoFromSeconds(attempt.validBefore), String(attempt.validBefore)),
				...(transaction ? { transaction } : {}),
				...(options.serverReason ? { serverReason: options.serverReason } : {}),
				...(checkedAt ? { checkedAt } : {}),
			},
			options.httpStatus,
		);
		this.name = 'PaymentError';
		this.attempt = attempt;
		this.verdict = verdict;
		this.checkedAt = checkedAt;
		this.transaction = transaction;
	}

	override get signed(): boolean {
		return true;
	}

	/** true: the chain says the money moved; false: it did not (yet); undefined: unknown. */
	get paid(): boolean | undefined {
		return this.verdict === 'charged' ? true : this.verdict === 'not charged' ? false : undefined;
	}

	/** The facts, one line each, for the description n8n shows when the node stops. */
	facts(): string {
		const a = this.attempt;
		return [
			`Signed: yes (x402 v${String(a.x402Version)})`,
			`Payer: ${a.payer}`,
			`Pay to: ${a.payTo}`,
			`Amount: ${a.amountUsdc} USDC (${a.amountAtomic} atomic) on ${a.network}`,
			`Nonce: ${a.nonce}`,
			`Valid until: ${safe(() => isoFromSeconds(a.validBefore), String(a.validBefore))} (validBefore ${a.validBefore})`,
			`On-chain verdict: ${this.verdict}${this.checkedAt ? ` (checked ${this.checkedAt})` : ''}`,
			...(this.transaction ? [`Transaction: ${this.transaction}`] : []),
		].join('\n');
	}
}

/** What the chain says of a call that was paid by an earlier try, as AlreadyPaidError reports it. */
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
			'already paid',
			`Already paid: an earlier try of this call paid for it${earlier.amountUsdc ? ` (${earlier.amountUsdc} USDC)` : ''}; the token contract marks its payment nonce ${earlier.nonce} as used${where}. Nothing was signed or paid now.`,
			'That earlier try\'s answer (its job) was lost, e.g. with a worker that stopped or a run that failed after paying. Find the job with the service by the transaction, or search the n8n logs for the nonce (the "payment signed" line names the workflow, execution and item). To pay for a new image on purpose, use another Idempotency Key or run the workflow as a new execution.',
			{ signed: false, alreadyPaid: true, paymentStatus: 'charged', ...withoutUndefined(earlier) },
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

/** Maps any error to the n8n error a node throws or puts in its error item. */
export function toNodeError(node: INode, error: unknown, itemIndex: number): NodeApiError | NodeOperationError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	if (error instanceof NanoBananaError) {
		if (error.httpStatus !== undefined && (error.kind === 'gateway' || error.kind === 'http' || error.kind === 'job')) {
			return new NodeApiError(node, { ...error.details, message: error.message } as JsonObject, {
				message: error.message,
				description: error.hint,
				httpCode: String(error.httpStatus),
				itemIndex,
			});
		}
		const description = error instanceof PaymentError ? `${error.hint ?? ''}\n\n${error.facts()}` : error.hint;
		return new NodeOperationError(node, error.message, { description, itemIndex });
	}
	const message = error instanceof Error ? error.message : String(error);
	return new NodeOperationError(node, inWords(message), { itemIndex });
}

/** The JSON of an error item under Continue On Fail: message, hint and the typed facts. */
export function errorItemJson(error: unknown): JsonObject {
	if (error instanceof NanoBananaError) {
		return {
			error: error.message,
			...(error.signed ? {} : error.kind === 'job' || error.kind === 'http' ? {} : { paymentStatus: 'not charged', signed: false }),
			...(error.hint ? { hint: error.hint } : {}),
			errorKind: error.kind,
			...(error.httpStatus !== undefined ? { httpStatus: error.httpStatus } : {}),
			...(error.details as JsonObject),
		};
	}
	if (error instanceof Error) {
		const description = (error as { description?: unknown }).description;
		return { error: error.message, ...(typeof description === 'string' ? { hint: description } : {}) };
	}
	return { error: String(error) };
}

export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * A promise's outcome as a value, so that code can branch on a failure and throw its own
 * typed error outside a catch block (n8n's lint asks catch blocks to throw only n8n errors;
 * shared modules throw NanoBananaError and the nodes map it at the edge).
 */
export async function settle<T>(work: Promise<T> | (() => Promise<T>)): Promise<Settled<T>> {
	try {
		return { ok: true, value: await (typeof work === 'function' ? work() : work) };
	} catch (error) {
		return { ok: false, error };
	}
}
