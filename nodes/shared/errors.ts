/**
 * The package's errors, after viem's: a short message, named options (what to do, the facts,
 * the field at fault, the HTTP status, the cause), a subclass per domain. Shared code throws these;
 * nodes turn them into n8n errors at the edge (`toNodeError` in nodeErrors.ts, `errorItemJson`).
 * Nothing here loads n8n-workflow at run time: the payment core depends on these. No message
 * ever carries the private key. The payment errors (something was signed) live with the payment
 * code, in x402/protocol/payment.ts.
 */

import type { JsonObject } from 'n8n-workflow';

export type ErrorKind =
	| 'input' // a node parameter is invalid: nothing was sent
	| 'policy' // a payment rule refused the quote: nothing was signed
	| 'quote' // the 402 answer could not be read: nothing was signed
	| 'gateway' // the service could not be reached or answered an error before any payment
	| 'payment' // something failed after signing: money may have moved
	| 'already paid' // this call was paid by an earlier try (its nonce is used on-chain): nothing was signed now
	| 'job' // a job failed, timed out or could not be read
	| 'http'; // a plain HTTP failure (status, network, deadline, size) outside any payment

export interface NanoBananaErrorOptions {
	kind: ErrorKind;
	/** What the user can do about it. */
	hint?: string;
	/** Structured, key-free facts for the error item and the UI's details. */
	details?: Record<string, unknown>;
	/** The parameter at fault (input errors). */
	field?: string;
	/** HTTP status of the remote answer, when there was one. */
	httpStatus?: number;
	cause?: unknown;
}

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
	readonly kind: ErrorKind;
	readonly hint?: string;
	readonly details: Record<string, unknown>;
	readonly field?: string;
	readonly httpStatus?: number;

	constructor(message: string, options: NanoBananaErrorOptions) {
		super(inWords(message), options.cause === undefined ? undefined : { cause: options.cause });
		this.name = 'NanoBananaError';
		this.kind = options.kind;
		this.hint = options.hint;
		this.details = options.details ?? {};
		this.field = options.field;
		this.httpStatus = options.httpStatus;
	}

	/** Whether a payment authorization was signed for this item (only the payment errors say yes). */
	get signed(): boolean {
		return false;
	}

	/**
	 * Facts to list, one per line, in the description n8n shows when the node stops (the payment
	 * errors have some).
	 */
	facts(): string | undefined {
		return undefined;
	}

	/** One line naming a payment, for a list of them (the payment errors have one). */
	summary(): string | undefined {
		return undefined;
	}
}

/** A node parameter is invalid: nothing was sent. The message starts with the field's name. */
export class InputError extends NanoBananaError {
	constructor(field: string, problem: string, hint?: string) {
		super(`${field}: ${problem}`, { kind: 'input', hint, details: { field }, field });
		this.name = 'InputError';
	}
}

/** The one sentence every refusal before signing ends with. */
export const NOTHING_SIGNED = 'Nothing was signed or paid';

/**
 * Something stopped a payment before anything was signed: the message says so, and so do the facts.
 */
export class NotSignedError extends NanoBananaError {
	constructor(message: string, options: NanoBananaErrorOptions) {
		super(`${message}. ${NOTHING_SIGNED}.`, {
			...options,
			details: { ...(options.details ?? {}), signed: false, settlement: 'not charged' },
		});
		this.name = 'NotSignedError';
	}
}

/** A job failed, timed out, or its status or result could not be read. */
export class JobError extends NanoBananaError {
	constructor(message: string, options: Omit<NanoBananaErrorOptions, 'kind'> = {}) {
		super(message, { ...options, kind: 'job' });
		this.name = 'JobError';
	}
}

/**
 * A plain HTTP failure outside any payment: a status, a refused redirect, a deadline, a size limit.
 */
export class HttpError extends NanoBananaError {
	constructor(message: string, options: Omit<NanoBananaErrorOptions, 'kind'> = {}) {
		super(message, { ...options, kind: 'http' });
		this.name = 'HttpError';
	}
}

/**
 * The JSON of an error item under Continue On Fail: message, hint and the typed facts. Only a
 * paying node (`paying`) says what happened to the money: an error that states nothing about
 * it there means nothing was signed.
 */
export function errorItemJson(error: unknown, options: { paying?: boolean } = {}): JsonObject {
	const unsigned: JsonObject = options.paying ? { signed: false, settlement: 'not charged' } : {};
	if (error instanceof NanoBananaError) {
		return {
			error: error.message,
			...(error.details.signed === undefined ? unsigned : {}),
			...(error.hint ? { hint: error.hint } : {}),
			errorKind: error.kind,
			...(error.httpStatus !== undefined ? { httpStatus: error.httpStatus } : {}),
			...(error.details as JsonObject),
		};
	}
	if (error instanceof Error) {
		const description = (error as { description?: unknown }).description;
		return {
			error: error.message,
			...unsigned,
			...(typeof description === 'string' ? { hint: description } : {}),
		};
	}
	return { error: String(error), ...unsigned };
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * A promise's outcome as a value, so that code can branch on a failure and throw its own
 * typed error outside a catch block (n8n's lint asks catch blocks to throw only n8n errors;
 * shared modules throw NanoBananaError and the nodes map it at the edge).
 */
export async function resultOf<T>(work: Promise<T> | (() => Promise<T>)): Promise<Result<T>> {
	try {
		return { ok: true, value: await (typeof work === 'function' ? work() : work) };
	} catch (error) {
		return { ok: false, error };
	}
}
