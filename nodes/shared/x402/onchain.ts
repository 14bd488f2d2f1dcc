import type { ChargeVerdict } from '../errors';
import type { HttpFn } from '../http';
import { RPC_TIMEOUT_MS } from '../limits';
import type { KnownNetwork } from './assets';

/**
 * Read-only chain checks (balances, EIP-3009 authorization state, transactions) as plain
 * JSON-RPC calls through the same HTTP seam as everything else. Signing never needs these;
 * a failing RPC only makes a verdict "unknown".
 *
 * The calls are fixed ABI encodings of two view functions of the USDC contract; their
 * selectors are the first 4 bytes of keccak-256 of the signatures (checked against viem in
 * test/unit/onchain.test.ts).
 */
export const SELECTORS = Object.freeze({
	/** balanceOf(address) */
	balanceOf: '0x70a08231',
	/** authorizationState(address,bytes32) */
	authorizationState: '0xe94a0102',
});

export interface ChainReader {
	usdcBalance(address: `0x${string}`): Promise<bigint>;
	ethBalance(address: `0x${string}`): Promise<bigint>;
	/** true when the token contract marks (payer, nonce) as used, i.e. the transfer happened. */
	authorizationUsed(payer: `0x${string}`, nonce: `0x${string}`): Promise<boolean>;
	/** Whether a transaction hash is mined on this chain, and how it ended. */
	transactionStatus(hash: string): Promise<TransactionStatus>;
}

export type TransactionStatus = 'success' | 'reverted' | 'not found';

export async function chainReader(http: HttpFn, network: KnownNetwork, rpcUrl: string, timeoutMs = RPC_TIMEOUT_MS): Promise<ChainReader> {
	let id = 0;
	const rpc = async (method: string, params: unknown[]): Promise<unknown> => {
		const response = await http({ method: 'POST', url: rpcUrl, body: { jsonrpc: '2.0', id: ++id, method, params }, timeoutMs });
		const body = response.body as { result?: unknown; error?: { message?: string } } | undefined;
		if (response.status !== 200 || !body || typeof body !== 'object') throw new Error(`RPC answered HTTP ${response.status}`);
		if (body.error) throw new Error(`RPC error: ${String(body.error.message ?? 'unknown').slice(0, 200)}`);
		return body.result;
	};
	const call = async (data: string): Promise<bigint> => quantity(await rpc('eth_call', [{ to: network.usdc.address, data }, 'latest']));
	return {
		usdcBalance: async (address) => await call(`${SELECTORS.balanceOf}${word(address)}`),
		ethBalance: async (address) => quantity(await rpc('eth_getBalance', [address, 'latest'])),
		authorizationUsed: async (payer, nonce) => (await call(`${SELECTORS.authorizationState}${word(payer)}${word(nonce)}`)) !== 0n,
		transactionStatus: async (hash) => {
			if (!/^0x[0-9a-fA-F]{64}$/.test(hash)) return 'not found';
			const receipt = (await rpc('eth_getTransactionReceipt', [hash])) as { status?: string } | null;
			if (!receipt) return 'not found';
			return receipt.status === '0x1' ? 'success' : 'reverted';
		},
	};
}

/** One 32-byte ABI word: an address or a bytes32, left-padded hex without 0x. */
function word(value: string): string {
	const hex = value.replace(/^0x/i, '').toLowerCase();
	if (!/^[0-9a-f]{1,64}$/.test(hex)) throw new Error('not an ABI word');
	return hex.padStart(64, '0');
}

/** A JSON-RPC quantity or a uint256 return value. */
function quantity(value: unknown): bigint {
	if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{0,64}$/.test(value)) throw new Error('RPC answered something that is not a number');
	return value === '0x' ? 0n : BigInt(value);
}

/** Asks the token contract whether a signed authorization was used. Never throws. */
export async function chargeVerdict(
	reader: () => Promise<ChainReader>,
	payer: `0x${string}`,
	nonce: `0x${string}`,
): Promise<{ verdict: ChargeVerdict; checkedAt: string }> {
	const checkedAt = new Date().toISOString();
	try {
		const used = await (await reader()).authorizationUsed(payer, nonce);
		return { verdict: used ? 'charged' : 'not charged', checkedAt };
	} catch {
		return { verdict: 'unknown', checkedAt };
	}
}
