/**
 * The one table of networks and assets this package pays with.
 *
 * The EIP-712 domain (name, version, chainId, verifyingContract) must match the
 * token contract exactly, or a signature is worthless; the chainId always comes
 * from this table (via the quote's network), never from the wallet.
 */

export type NetworkKey = 'base' | 'base-sepolia';

export interface KnownAsset {
	readonly symbol: 'USDC';
	readonly address: `0x${string}`;
	readonly decimals: 6;
	/** EIP-712 domain name and version of the token contract. */
	readonly eip712: { readonly name: string; readonly version: string };
}

export interface KnownNetwork {
	readonly key: NetworkKey;
	readonly label: string;
	readonly chainId: number;
	/** CAIP-2 id, as x402 v2 writes networks. */
	readonly caip2: `eip155:${number}`;
	readonly usdc: KnownAsset;
	/** Public JSON-RPC endpoint, used for read-only checks only (balances, authorization state). */
	readonly publicRpcUrl: string;
	readonly explorerTxUrl: string;
}

export const NETWORKS: Readonly<Record<NetworkKey, KnownNetwork>> = Object.freeze({
	base: Object.freeze({
		key: 'base',
		label: 'Base',
		chainId: 8453,
		caip2: 'eip155:8453',
		usdc: Object.freeze({
			symbol: 'USDC',
			address: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
			decimals: 6,
			eip712: Object.freeze({ name: 'USD Coin', version: '2' }),
		}),
		publicRpcUrl: 'https://mainnet.base.org',
		explorerTxUrl: 'https://basescan.org/tx/',
	}),
	'base-sepolia': Object.freeze({
		key: 'base-sepolia',
		label: 'Base Sepolia (testnet)',
		chainId: 84532,
		caip2: 'eip155:84532',
		usdc: Object.freeze({
			symbol: 'USDC',
			address: '0x036CbD53842c5426634e7929541eC2318f3dCF7e',
			decimals: 6,
			eip712: Object.freeze({ name: 'USDC', version: '2' }),
		}),
		publicRpcUrl: 'https://sepolia.base.org',
		explorerTxUrl: 'https://sepolia.basescan.org/tx/',
	}),
} as const);

export function isNetworkKey(value: unknown): value is NetworkKey {
	return typeof value === 'string' && Object.prototype.hasOwnProperty.call(NETWORKS, value);
}

/**
 * Resolves a network as a quote writes it: a v1 name (`base`) or a v2 CAIP-2 id (`eip155:8453`).
 */
export function networkFromWire(network: string): KnownNetwork | undefined {
	if (isNetworkKey(network)) return NETWORKS[network];
	return Object.values(NETWORKS).find((n) => n.caip2 === network);
}

export function sameAddress(a: string | undefined, b: string | undefined): boolean {
	return !!a && !!b && a.toLowerCase() === b.toLowerCase();
}
