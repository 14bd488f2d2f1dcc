import type { ChargeVerdict } from '../errors';
import type { HttpFn } from '../http';
import { RPC_TIMEOUT_MS } from '../limits';
import type { KnownNetwork } from './assets';

/**
 * Read-only chain checks (balances, EIP-3009 authorization state) through the
 * same HTTP seam as everything else. Signing never needs these; a failing RPC
 * only makes a verdict "unknown".
 */
const USDC_READ_ABI = [
	{
		type: 'function',
		name: 'balanceOf',
		stateMutability: 'view',
		inputs: [{ name: 'account', type: 'address' }],
		outputs: [{ name: '', type: 'uint256' }],
	},
	{
		type: 'function',
		name: 'authorizationState',
		stateMutability: 'view',
		inputs: [
			{ name: 'authorizer', type: 'address' },
			{ name: 'nonce', type: 'bytes32' },
		],
		outputs: [{ name: '', type: 'bool' }],
	},
] as const;

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
	const { createPublicClient, custom } = await import('viem');
	let id = 0;
	const client = createPublicClient({
		transport: custom(
			{
				async request({ method, params }: { method: string; params?: unknown }) {
					const response = await http({
						method: 'POST',
						url: rpcUrl,
						body: { jsonrpc: '2.0', id: ++id, method, params: params ?? [] },
						timeoutMs,
					});
					const body = response.body as { result?: unknown; error?: { message?: string } } | undefined;
					if (response.status !== 200 || !body || typeof body !== 'object') {
						throw new Error(`RPC answered HTTP ${response.status}`);
					}
					if (body.error) throw new Error(`RPC error: ${body.error.message ?? 'unknown'}`);
					return body.result;
				},
			},
			{ retryCount: 0 },
		),
	});
	const token = network.usdc.address;
	return {
		usdcBalance: async (address) =>
			(await client.readContract({ address: token, abi: USDC_READ_ABI, functionName: 'balanceOf', args: [address] })) as bigint,
		ethBalance: async (address) => await client.getBalance({ address }),
		authorizationUsed: async (payer, nonce) =>
			(await client.readContract({
				address: token,
				abi: USDC_READ_ABI,
				functionName: 'authorizationState',
				args: [payer, nonce],
			})) as boolean,
		transactionStatus: async (hash) => {
			if (!/^0x[0-9a-fA-F]{64}$/.test(hash)) return 'not found';
			const receipt = (await client.request({ method: 'eth_getTransactionReceipt', params: [hash as `0x${string}`] })) as { status?: string } | null;
			if (!receipt) return 'not found';
			return receipt.status === '0x1' ? 'success' : 'reverted';
		},
	};
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
