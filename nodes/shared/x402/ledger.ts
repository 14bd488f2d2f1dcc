import type { IDataObject } from 'n8n-workflow';
import type { PaymentAttempt } from '../errors';

/**
 * What one execution signed, per item, so that n8n's Retry On Fail (which runs the node
 * again with the same items in the same execution) never signs twice for one item.
 * Kept in n8n's per-execution node context: nothing survives the execution, nothing is
 * shared with another one, and it travels with the execution data (queue mode).
 */
export type LedgerEntry =
	| { state: 'signed'; attempt: PaymentAttempt }
	| { state: 'done'; attempt?: PaymentAttempt; outputs: IDataObject[] };

export interface ItemLedger {
	get(item: number): LedgerEntry | undefined;
	set(item: number, entry: LedgerEntry): void;
}

const LEDGER_KEY = 'nanoBananaSignedItems';

/** The ledger of one run of a node: items are keyed by run index (loops) and item index. */
export function contextLedger(context: Record<string, unknown>, runIndex: number): ItemLedger {
	const all = () => {
		const existing = context[LEDGER_KEY];
		if (existing && typeof existing === 'object') return existing as Record<string, LedgerEntry>;
		const created: Record<string, LedgerEntry> = {};
		context[LEDGER_KEY] = created;
		return created;
	};
	return {
		get: (item) => all()[`${runIndex}:${item}`],
		set: (item, entry) => {
			all()[`${runIndex}:${item}`] = entry;
		},
	};
}

/** A ledger that remembers nothing (tests of the session without n8n). */
export function memoryLedger(): ItemLedger {
	const entries = new Map<number, LedgerEntry>();
	return { get: (item) => entries.get(item), set: (item, entry) => void entries.set(item, entry) };
}
