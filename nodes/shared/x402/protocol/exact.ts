/**
 * The x402 "exact" scheme on EVM, client side: the EIP-3009 authorization and its EIP-712
 * typed data, written to the same values as the official `@x402/evm` client (the tests
 * compare them for the same nonce and time). The signature comes from the bundled viem
 * account code; the payment header that carries it is wire.ts's.
 */

import type { KnownNetwork } from './assets';
import type { Requirement } from './wire';
import type { TypedDataToSign } from '../vendor/signing';

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

/**
 * The EIP-712 typed data of an authorization: domain from the package's asset table, chainId from
 * the network.
 */
export function typedDataFor(network: KnownNetwork, authorization: Authorization): TypedDataToSign {
	return {
		domain: {
			name: network.usdc.eip712.name,
			version: network.usdc.eip712.version,
			chainId: network.chainId,
			verifyingContract: network.usdc.address,
		},
		types: TRANSFER_WITH_AUTHORIZATION_TYPES,
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
