/**
 * One paid call as the chain will know it. Every try of one call (n8n's Retry On Fail, a
 * Retry of the execution, the same Idempotency Key again) carries the same key, every other
 * call another; the session derives the call's EIP-3009 nonce from it (nonce.ts), so the
 * token contract settles the call at most once, whatever n8n remembers.
 */

import type { EarlierPayment, PaymentAttempt, Settlement } from '../protocol/payment';

export interface PaymentCall {
	/** The call's identity as text (see the node's calls.ts). Not secret: the log lines show it. */
	key: string;
	/**
	 * An earlier try may have used this key: the node reads the chain before signing and never signs
	 * a used nonce.
	 */
	mayRepeat: boolean;
	/** Where the call comes from, for the log lines: workflow, execution, node, item. */
	where?: Record<string, string | number>;
}

/**
 * What the payment session reports as it goes, for a record that outlives the execution (n8n's
 * log): signed, then settled (or already paid).
 */
export type PaymentEvent =
	| { kind: 'signed'; call?: PaymentCall; attempt: PaymentAttempt }
	| {
			kind: 'settled';
			call?: PaymentCall;
			attempt: PaymentAttempt;
			settlement: Settlement;
			transaction?: string | null;
			outcome: string;
	  }
	| { kind: 'already paid'; call?: PaymentCall; earlier: EarlierPayment };

export type PaymentJournal = (event: PaymentEvent) => void;
