/**
 * The record of a payment that outlives the execution: the session tells the journal before a
 * payment header leaves (signed), and when its verdict is known (settled, or already paid). The
 * nodes write it to n8n's log; a journal that fails never fails the payment.
 */

import type { PaymentCall } from './once/call';
import type { EarlierPayment, PaymentAttempt, Settlement } from './protocol/payment';

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

/** Hands an event to the journal; a journal that fails never fails the payment. */
export function record(journal: PaymentJournal | undefined, event: PaymentEvent): void {
	try {
		journal?.(event);
	} catch {
		// The payment's own report still carries every fact.
	}
}
