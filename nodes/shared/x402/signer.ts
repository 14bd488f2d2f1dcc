import { NanoBananaError, settle, type PaymentAttempt } from '../errors';
import { MAX_VALIDITY_SECONDS } from '../limits';
import { formatUsdc } from './money';
import type { Quote, Requirement } from './quote';
import type { Wallet } from './wallet';

/**
 * Signs one EIP-3009 authorization for a requirement the policy approved, and checks
 * what was signed before it may leave this machine: recipient, amount, payer, the token's
 * EIP-712 domain from the package's asset table (never the server's `extra`), and a
 * validity window no longer than MAX_VALIDITY_SECONDS.
 */
export interface SignedPayment {
	headers: Record<string, string>;
	attempt: PaymentAttempt;
}

export class Signer {
	private constructor(
		readonly address: `0x${string}`,
		private readonly client: { createPaymentPayload(required: never): Promise<unknown> },
		private readonly http: { encodePaymentSignatureHeader(payload: never): Record<string, string> },
	) {}

	/** Loaded on first payment only: n8n starts without the signing stack in memory. */
	static async load(wallet: Wallet): Promise<Signer> {
		const [{ x402Client, x402HTTPClient }, { registerExactEvmScheme }, { privateKeyToAccount }] = await Promise.all([
			import('@x402/core/client'),
			import('@x402/evm/exact/client'),
			import('viem/accounts'),
		]);
		const account = privateKeyToAccount(wallet.privateKey);
		const client = new x402Client();
		registerExactEvmScheme(client, { signer: account, networks: [wallet.network.caip2] });
		// The library's own ceiling, as a second line behind our policy.
		client.setSpendControls({ maxAmountPerPayment: `$${formatUsdc(wallet.capAtomic)}` });
		return new Signer(account.address, client as never, new x402HTTPClient(client) as never);
	}

	async sign(quote: Quote, requirement: Requirement, wallet: Wallet, nowMs: number): Promise<SignedPayment> {
		const domain = wallet.network.usdc.eip712;
		// Exactly the one requirement the policy chose, with the token's domain from our table.
		const chosen = { ...requirement.raw, extra: { ...(isObject(requirement.raw.extra) ? requirement.raw.extra : {}), name: domain.name, version: domain.version } };
		const created = await settle(this.client.createPaymentPayload({ ...quote.raw, accepts: [chosen] } as never));
		if (!created.ok) {
			throw new NanoBananaError('policy', `The x402 client refused to sign: ${(created.error as Error).message}. Nothing was paid.`, undefined, { rule: 'x402 client' });
		}
		const payload = created.value as { x402Version: number; payload: Record<string, unknown> };
		const authorization = (payload?.payload?.authorization ?? {}) as Record<string, unknown>;
		const nowSeconds = Math.floor(nowMs / 1000);
		const validBefore = Number(authorization.validBefore);
		const validAfter = Number(authorization.validAfter);
		// Belt and braces: what was signed must be exactly what the policy approved, and short-lived.
		if (
			String(authorization.to).toLowerCase() !== requirement.payTo.toLowerCase() ||
			authorization.value !== requirement.amountAtomic.toString() ||
			String(authorization.from).toLowerCase() !== this.address.toLowerCase() ||
			!Number.isSafeInteger(validBefore) ||
			validBefore - nowSeconds > MAX_VALIDITY_SECONDS + 5 ||
			!(validAfter <= nowSeconds)
		) {
			throw new NanoBananaError('policy', 'The signed authorization does not match the approved quote; it was discarded and not sent. Nothing was paid.', undefined, {
				rule: 'signed authorization',
			});
		}
		return {
			headers: this.http.encodePaymentSignatureHeader(payload as never),
			attempt: {
				payer: this.address,
				payTo: requirement.payTo,
				network: requirement.network,
				asset: requirement.asset,
				amountAtomic: requirement.amountAtomic.toString(),
				amountUsdc: formatUsdc(requirement.amountAtomic),
				nonce: String(authorization.nonce),
				validBefore: String(authorization.validBefore),
				x402Version: quote.x402Version,
			},
		};
	}
}

function isObject(value: unknown): value is Record<string, unknown> {
	return !!value && typeof value === 'object' && !Array.isArray(value);
}
