/**
 * What one execution signed, per paid call (its payment key), so that a call tried again in the
 * same execution (n8n's Retry On Fail, on a plain node or a tool; a duplicate call in one run) is
 * never signed twice and an answered one is given back instead of paid again.
 * Kept in n8n's per-execution node context: it travels with the execution data (queue mode)
 * and into n8n's Retry of a failed execution, but is lost with a worker that dies mid-node;
 * the derived nonce (nonce.ts) and the chain cover that case.
 */

import type { PaymentAttempt } from '../protocol/payment';

export type LedgerEntry =
	| { state: 'signed'; attempt: PaymentAttempt }
	| { state: 'done'; attempt?: PaymentAttempt; outputs: Array<Record<string, unknown>> };

export interface ItemLedger {
	get(paymentKey: string): LedgerEntry | undefined;
	set(paymentKey: string, entry: LedgerEntry): void;
}

const LEDGER_KEY = 'nanoBananaPaidCalls';

/** The ledger in n8n's node context of this execution. */
export function contextLedger(context: Record<string, unknown>): ItemLedger {
	const all = () => {
		const existing = context[LEDGER_KEY];
		if (existing && typeof existing === 'object') return existing as Record<string, LedgerEntry>;
		const created: Record<string, LedgerEntry> = {};
		context[LEDGER_KEY] = created;
		return created;
	};
	return {
		get: (paymentKey) => all()[paymentKey],
		set: (paymentKey, entry) => {
			all()[paymentKey] = entry;
		},
	};
}

/** A ledger that lives as long as the object (tests of the session without n8n). */
export function memoryLedger(): ItemLedger {
	const entries = new Map<string, LedgerEntry>();
	return {
		get: (paymentKey) => entries.get(paymentKey),
		set: (paymentKey, entry) => void entries.set(paymentKey, entry),
	};
}
