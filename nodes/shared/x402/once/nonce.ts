/**
 * EIP-3009 nonces that make one paid call payable once.
 *
 * USDC settles each (payer, nonce) at most once (`authorizationState`), and the nonce is
 * whatever 32 bytes the signer chooses. So every try of one call signs the same nonce: the
 * node derives it from the call's payment key, keyed with a secret only the wallet's owner
 * can compute. Two authorizations of one call (a first try whose answer was lost, a retry)
 * can then never both be settled, whichever arrives first.
 *
 *   secret = HMAC-SHA256(key = private key, "n8n-nodes-nano-banana/eip3009-nonce/v1")
 *   nonce  = HMAC-SHA256(key = secret, payment key)
 *
 * The secret is derived under a domain tag so that the private key itself is never an input
 * anywhere else, and nonces cannot be guessed or linked to workflows from public data.
 */

import { createHmac, randomBytes } from 'crypto';

const DOMAIN_TAG = 'n8n-nodes-nano-banana/eip3009-nonce/v1';

/** The secret nonces are derived with. Keep it where the key is kept: never log or output it. */
export function nonceSecret(privateKey: `0x${string}`): Buffer {
	return createHmac('sha256', Buffer.from(privateKey.slice(2), 'hex'))
		.update(DOMAIN_TAG, 'utf8')
		.digest();
}

/** The nonce of one paid call: the same for every try of it, different for every other call. */
export function nonceFor(secret: Buffer, paymentKey: string): `0x${string}` {
	return `0x${createHmac('sha256', secret).update(paymentKey, 'utf8').digest('hex')}`;
}

/**
 * 32 random bytes: for a call no one will ever need to recognise again (the tests' one-off
 * payments).
 */
export function randomNonce(): `0x${string}` {
	return `0x${randomBytes(32).toString('hex')}`;
}
