import type { KnownNetwork } from './assets';
import type { Quote, Requirement } from './quote';
import type { TypedDataToSign } from './vendor/signing';

/**
 * The x402 "exact" scheme on EVM, client side: the EIP-3009 authorization, its EIP-712
 * typed data, and the payment header, for x402 v1 (`X-PAYMENT`) and v2
 * (`PAYMENT-SIGNATURE`). Written to the same bytes as the official `@x402/core` +
 * `@x402/evm` client (the tests compare them field by field for the same nonce and time);
 * the signature itself comes from the bundled viem account code.
 */
export interface Authorization {
	from: `0x${string}`;
	to: `0x${string}`;
	value: string;
	validAfter: string;
	validBefore: string;
	nonce: `0x${string}`;
}

/** Clock skew allowance of v1 clients: the authorization is valid from 10 minutes ago. */
const V1_VALID_AFTER_SKEW_SECONDS = 600;

export const TRANSFER_WITH_AUTHORIZATION_TYPES = {
	TransferWithAuthorization: [
		{ name: 'from', type: 'address' },
		{ name: 'to', type: 'address' },
		{ name: 'value', type: 'uint256' },
		{ name: 'validAfter', type: 'uint256' },
		{ name: 'validBefore', type: 'uint256' },
		{ name: 'nonce', type: 'bytes32' },
	],
} as const;

export function buildAuthorization(options: {
	x402Version: 1 | 2;
	requirement: Requirement;
	payer: `0x${string}`;
	/** The payTo address in its EIP-55 form. */
	payTo: `0x${string}`;
	nowSeconds: number;
	nonce: `0x${string}`;
}): Authorization {
	const { x402Version, requirement, nowSeconds } = options;
	return {
		from: options.payer,
		to: options.payTo,
		value: requirement.amountAtomic.toString(),
		validAfter: x402Version === 1 ? String(nowSeconds - V1_VALID_AFTER_SKEW_SECONDS) : '0',
		validBefore: String(nowSeconds + requirement.maxTimeoutSeconds),
		nonce: options.nonce,
	};
}

/** The EIP-712 typed data of an authorization: domain from the package's asset table, chainId from the network. */
export function typedDataFor(network: KnownNetwork, authorization: Authorization): TypedDataToSign {
	return {
		domain: { name: network.usdc.eip712.name, version: network.usdc.eip712.version, chainId: network.chainId, verifyingContract: network.usdc.address },
		types: TRANSFER_WITH_AUTHORIZATION_TYPES as unknown as TypedDataToSign['types'],
		primaryType: 'TransferWithAuthorization',
		message: {
			from: authorization.from,
			to: authorization.to,
			value: BigInt(authorization.value),
			validAfter: BigInt(authorization.validAfter),
			validBefore: BigInt(authorization.validBefore),
			nonce: authorization.nonce,
		},
	};
}

/** The payment payload as the official client writes it, key order included. */
export function paymentPayload(quote: Quote, accepted: Record<string, unknown>, authorization: Authorization, signature: `0x${string}`): Record<string, unknown> {
	const payload = { authorization, signature };
	if (quote.x402Version === 1) return { x402Version: 1, scheme: accepted.scheme, network: accepted.network, payload };
	return { x402Version: 2, payload, extensions: quote.raw.extensions, resource: quote.raw.resource, accepted };
}

export function paymentHeaders(payload: Record<string, unknown>): Record<string, string> {
	const encoded = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64');
	return payload.x402Version === 1 ? { 'X-PAYMENT': encoded } : { 'PAYMENT-SIGNATURE': encoded };
}
