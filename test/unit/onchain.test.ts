/**
 * The package's hand-encoded JSON-RPC reads against viem (a dev dependency used as oracle):
 * the same selectors and calldata, and the answers read the same way.
 */
import { encodeFunctionData, toFunctionSelector } from 'viem';
import type { HttpRequest } from '../../nodes/shared/http';
import { NETWORKS } from '../../nodes/shared/x402/assets';
import { chainReader, SELECTORS } from '../../nodes/shared/x402/onchain';

const ABI = [
	{ type: 'function', name: 'balanceOf', stateMutability: 'view', inputs: [{ name: 'account', type: 'address' }], outputs: [{ type: 'uint256' }] },
	{
		type: 'function',
		name: 'authorizationState',
		stateMutability: 'view',
		inputs: [
			{ name: 'authorizer', type: 'address' },
			{ name: 'nonce', type: 'bytes32' },
		],
		outputs: [{ type: 'bool' }],
	},
] as const;
const PAYER = '0x52908400098527886E0F7030069857D2E4169EE7';
const NONCE = `0x${'a1'.repeat(32)}` as const;

it('uses the selectors of balanceOf(address) and authorizationState(address,bytes32)', () => {
	expect(SELECTORS.balanceOf).toBe(toFunctionSelector('balanceOf(address)'));
	expect(SELECTORS.authorizationState).toBe(toFunctionSelector('authorizationState(address,bytes32)'));
});

it('sends the calldata viem would, and reads the answers', async () => {
	const calls: HttpRequest[] = [];
	const reader = await chainReader(async (request) => {
		calls.push(request);
		const { method, params } = request.body as { method: string; params: Array<{ data?: string }> };
		const result =
			method === 'eth_call'
				? params[0].data?.startsWith(SELECTORS.balanceOf)
					? `0x${(123_456_789n).toString(16).padStart(64, '0')}`
					: `0x${'1'.padStart(64, '0')}`
				: method === 'eth_getBalance'
					? '0xde0b6b3a7640000'
					: { status: '0x1' };
		return { status: 200, headers: {}, body: { jsonrpc: '2.0', id: 1, result }, url: request.url };
	}, NETWORKS.base, 'https://rpc.example/');
	expect(await reader.usdcBalance(PAYER)).toBe(123_456_789n);
	expect(await reader.authorizationUsed(PAYER, NONCE)).toBe(true);
	expect(await reader.ethBalance(PAYER)).toBe(10n ** 18n);
	expect(await reader.transactionStatus(`0x${'b'.repeat(64)}`)).toBe('success');
	const data = calls.slice(0, 2).map((c) => ((c.body as { params: Array<{ data: string; to: string }> }).params[0] as { data: string }).data);
	expect(data[0]).toBe(encodeFunctionData({ abi: ABI, functionName: 'balanceOf', args: [PAYER] }));
	expect(data[1]).toBe(encodeFunctionData({ abi: ABI, functionName: 'authorizationState', args: [PAYER, NONCE] }));
	expect((calls[0].body as { params: Array<{ to: string }> }).params[0].to).toBe(NETWORKS.base.usdc.address);
});
