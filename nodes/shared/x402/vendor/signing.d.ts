/**
 * The signing bundle: built from scripts/signing/entry.ts (viem's account code) into
 * dist/nodes/shared/x402/vendor/signing.js by `npm run build`, loaded on the first payment.
 * Under jest the same entry is bundled the same way (test/setup/bundle.js).
 */

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

export declare function accountFromKey(privateKey: `0x${string}`): LocalAccount;
export declare function checksumAddress(address: string): `0x${string}`;
export declare function isEvmAddress(address: string): boolean;
