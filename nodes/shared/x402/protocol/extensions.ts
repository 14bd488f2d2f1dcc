/**
 * x402 v2 extensions the client takes part in (x402-foundation/x402 specs/extensions/):
 * payment-identifier, the client's id in the payment payload, so that a server keeping answers by
 * id can give back a lost answer when the identical payment is sent again.
 */

/** The extension key of x402's payment-identifier (specs/extensions/payment-identifier.md). */
export const PAYMENT_IDENTIFIER = 'payment-identifier';

/** The payment id a payment payload carries (payment-identifier), if the server declared it. */
export function paymentIdIn(payload: Record<string, unknown>): string | undefined {
	const extensions = payload.extensions as Record<string, { info?: { id?: unknown } }> | undefined;
	const id = extensions?.[PAYMENT_IDENTIFIER]?.info?.id;
	return typeof id === 'string' ? id : undefined;
}

/**
 * The server's extensions echoed as declared, with the call's payment id in payment-identifier's
 * info when the server declares it: 32 hex characters of the call's nonce (derived from its payment
 * key), so every try of one call carries the same id and every other call another.
 */
export function withPaymentId(extensions: unknown, nonce: string): unknown {
	if (!extensions || typeof extensions !== 'object') return extensions;
	const declared = (extensions as Record<string, unknown>)[PAYMENT_IDENTIFIER] as
		| { info?: Record<string, unknown> }
		| undefined;
	if (!declared?.info || typeof declared.info !== 'object') return extensions;
	const id = `pay_${nonce.replace(/^0x/, '').slice(0, 32)}`;
	return {
		...(extensions as Record<string, unknown>),
		[PAYMENT_IDENTIFIER]: { ...declared, info: { ...declared.info, id } },
	};
}
