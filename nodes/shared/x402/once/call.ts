/**
 * One paid call as the chain will know it. Every try of one call (n8n's Retry On Fail, a
 * Retry of the execution, the same Idempotency Key again) carries the same key, every other
 * call another; the session derives the call's EIP-3009 nonce from it (nonce.ts), so the
 * token contract settles the call at most once, whatever n8n remembers.
 */

export interface PaymentCall {
	/** The call's identity as text (see nodes/shared/paymentKeys.ts). Not secret: the log lines show it. */
	key: string;
	/**
	 * An earlier try may have used this key: the node reads the chain before signing and never signs
	 * a used nonce.
	 */
	mayRepeat: boolean;
	/** Where the call comes from, for the log lines: workflow, execution, node, item. */
	where?: Record<string, string | number>;
}
