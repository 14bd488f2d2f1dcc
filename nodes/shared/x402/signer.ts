/**
 * Signs one EIP-3009 authorization for a requirement the policy approved, and checks
 * what is about to leave this machine: recipient, amount within the credential cap, the
 * token's EIP-712 domain from the package's asset table (never the server's `extra`), and a
 * validity window no longer than MAX_VALIDITY_SECONDS.
 */

import { MAX_VALIDITY_SECONDS } from '../limits';
import { buildAuthorization, typedDataFor } from './protocol/exact';
import { formatUsdc } from './protocol/money';
import type { PaymentAttempt } from './protocol/payment';
import { PolicyError } from './controls';
import { paymentIdIn } from './protocol/extensions';
import { signInHeader, signInMessage, type SignIn } from './protocol/siwx';
import { paymentHeaders, paymentPayload, type Quote, type Requirement } from './protocol/wire';
import type { LocalAccount } from './vendor/signing';
import type { Wallet } from './wallet/credential';

export interface SignedPayment {
	headers: Record<string, string>;
	attempt: PaymentAttempt;
	/** The payment id it carries when the server declared payment-identifier (v2). */
	paymentId?: string;
}

type SigningModule = typeof import('./vendor/signing');

/** The bundled signing code, loaded on first use only: n8n starts without it in memory. */
async function signingModule(): Promise<SigningModule> {
	const loaded = (await import('./vendor/signing.js')) as SigningModule & {
		default?: SigningModule;
	};
	return typeof loaded.accountFromKey === 'function' ? loaded : (loaded.default as SigningModule);
}

/** The address a wallet pays from. */
export async function payerAddress(wallet: Wallet): Promise<`0x${string}`> {
	return (await signingModule()).accountFromKey(wallet.privateKey).address;
}

export class Signer {
	private constructor(
		private readonly account: LocalAccount,
		private readonly checksum: (address: string) => `0x${string}`,
	) {}

	static async load(wallet: Wallet): Promise<Signer> {
		const signing = await signingModule();
		return new Signer(signing.accountFromKey(wallet.privateKey), signing.checksumAddress);
	}

	get address(): `0x${string}` {
		return this.account.address;
	}

	/**
	 * Signs with `nonce`: the call's derived nonce (see nonce.ts), so every try of one call can be
	 * settled at most once.
	 */
	async sign(
		quote: Quote,
		requirement: Requirement,
		wallet: Wallet,
		nowMs: number,
		nonce: `0x${string}`,
	): Promise<SignedPayment> {
		const nowSeconds = Math.floor(nowMs / 1000);
		if (
			requirement.amountAtomic > wallet.capAtomic ||
			requirement.maxTimeoutSeconds > MAX_VALIDITY_SECONDS
		) {
			// The policy refuses these first; this is the last line before a signature exists.
			throw new PolicyError(
				requirement.amountAtomic > wallet.capAtomic ? 'max price' : 'validity',
				requirement,
				'the quote exceeds the credential cap or the validity ceiling (checked again before signing)',
				requirement.amountAtomic > wallet.capAtomic
					? formatUsdc(wallet.capAtomic)
					: `${MAX_VALIDITY_SECONDS} s`,
			);
		}
		const domain = wallet.network.usdc.eip712;
		// Exactly the one requirement the policy chose, with the token's domain from our table.
		const accepted = {
			...requirement.raw,
			extra: {
				...(isObject(requirement.raw.extra) ? requirement.raw.extra : {}),
				name: domain.name,
				version: domain.version,
			},
		};
		const authorization = buildAuthorization({
			x402Version: quote.x402Version,
			requirement,
			payer: this.account.address,
			payTo: this.checksum(requirement.payTo),
			nowSeconds,
			nonce,
		});
		const signature = await this.account.signTypedData(typedDataFor(wallet.network, authorization));
		const payload = paymentPayload(quote, accepted, authorization, signature);
		const paymentId = paymentIdIn(payload);
		return {
			headers: paymentHeaders(payload),
			...(paymentId ? { paymentId } : {}),
			attempt: {
				payer: this.account.address,
				payTo: requirement.payTo,
				network: requirement.network,
				asset: requirement.asset,
				amountAtomic: requirement.amountAtomic.toString(),
				amountUsdc: formatUsdc(requirement.amountAtomic),
				nonce: authorization.nonce,
				validBefore: authorization.validBefore,
				x402Version: quote.x402Version,
			},
		};
	}

	/**
	 * Signs a sign-in (sign-in-with-x): an EIP-4361 text message checked by signInOffered (the
	 * origin that asked, this chain, short-lived), never typed data or a transaction.
	 */
	async signIn(signIn: SignIn): Promise<Record<string, string>> {
		const address = this.checksum(this.account.address);
		const signature = await this.account.signMessage(signInMessage(signIn, address));
		return signInHeader(signIn, address, signature);
	}
}

function isObject(value: unknown): value is Record<string, unknown> {
	return !!value && typeof value === 'object' && !Array.isArray(value);
}
