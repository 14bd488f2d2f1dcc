/**
 * The signing code the package ships, bundled into dist/ at build time (scripts/signing/bundle.mjs)
 * from viem's audited account code (which wraps @noble/curves and @noble/hashes): secp256k1
 * keys and signatures, keccak-256, EIP-712 typed data, EIP-55 addresses. Nothing here is
 * hand-written cryptography; this file only picks the four functions the package needs (EIP-712 typed data for payments, EIP-191 for sign-in messages), so
 * the bundle stays small and free of viem's transports.
 */
import { privateKeyToAccount } from 'viem/accounts';
import { getAddress, isAddress } from 'viem/utils';

export interface TypedDataToSign {
	domain: { name: string; version: string; chainId: number; verifyingContract: `0x${string}` };
	types: Record<string, ReadonlyArray<{ name: string; type: string }>>;
	primaryType: string;
	message: Record<string, unknown>;
}

export interface LocalAccount {
	readonly address: `0x${string}`;
	signTypedData(typedData: TypedDataToSign): Promise<`0x${string}`>;
	/** EIP-191 personal_sign of a text (a sign-in message, never a transaction). */
	signMessage(message: string): Promise<`0x${string}`>;
}

/** The account of a private key: its address and a typed-data signer. The key stays in this closure. */
export function accountFromKey(privateKey: `0x${string}`): LocalAccount {
	const account = privateKeyToAccount(privateKey);
	return {
		address: account.address,
		signTypedData: async (typedData) => await account.signTypedData(typedData as never),
		signMessage: async (message) => await account.signMessage({ message }),
	};
}

/** EIP-55 checksummed address (throws on anything that is not an address). */
export function checksumAddress(address: string): `0x${string}` {
	return getAddress(address);
}

export function isEvmAddress(address: string): boolean {
	return isAddress(address, { strict: false });
}
