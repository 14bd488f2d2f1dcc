/**
 * The package's hand-encoded JSON-RPC reads against viem (a dev dependency used as oracle):
 * the same selectors and calldata, and the answers read the same way.
 */
import { encodeFunctionData, toEventSelector, toFunctionSelector } from 'viem';
import type { HttpRequest } from '../../nodes/shared/http';
import { NETWORKS } from '../../nodes/shared/x402/protocol/assets';
import {
	chainReader,
	ChargeReads,
	SELECTORS,
	TOPICS,
	type ChainReader,
} from '../../nodes/shared/x402/chain';

const ABI = [
	{
		type: 'function',
		name: 'balanceOf',
		stateMutability: 'view',
		inputs: [{ name: 'account', type: 'address' }],
		outputs: [{ type: 'uint256' }],
	},
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
	expect(SELECTORS.authorizationState).toBe(
		toFunctionSelector('authorizationState(address,bytes32)'),
	);
});

it('sends the calldata viem would, and reads the answers', async () => {
	const calls: HttpRequest[] = [];
	const reader = await chainReader(
		async (request) => {
			calls.push(request);
			const { method, params } = request.body as {
				method: string;
				params: Array<{ data?: string }>;
			};
			const result =
				method === 'eth_call'
					? params[0].data?.startsWith(SELECTORS.balanceOf)
						? `0x${123_456_789n.toString(16).padStart(64, '0')}`
						: `0x${'1'.padStart(64, '0')}`
					: method === 'eth_getBalance'
						? '0xde0b6b3a7640000'
						: { status: '0x1' };
			return {
				status: 200,
				headers: {},
				body: { jsonrpc: '2.0', id: 1, result },
				url: request.url,
			};
		},
		NETWORKS.base,
		'https://rpc.example/',
	);
	expect(await reader.usdcBalance(PAYER)).toBe(123_456_789n);
	expect(await reader.authorizationUsed(PAYER, NONCE)).toBe(true);
	expect(await reader.ethBalance(PAYER)).toBe(10n ** 18n);
	expect(await reader.transactionStatus(`0x${'b'.repeat(64)}`)).toBe('success');
	const data = calls
		.slice(0, 2)
		.map(
			(c) =>
				((c.body as { params: Array<{ data: string; to: string }> }).params[0] as { data: string })
					.data,
		);
	expect(data[0]).toBe(encodeFunctionData({ abi: ABI, functionName: 'balanceOf', args: [PAYER] }));
	expect(data[1]).toBe(
		encodeFunctionData({ abi: ABI, functionName: 'authorizationState', args: [PAYER, NONCE] }),
	);
	expect((calls[0].body as { params: Array<{ to: string }> }).params[0].to).toBe(
		NETWORKS.base.usdc.address,
	);
});

it("uses the topics of USDC's Transfer and AuthorizationUsed events", () => {
	expect(TOPICS.transfer).toBe(toEventSelector('Transfer(address,address,uint256)'));
	expect(TOPICS.nonceUsed).toBe(toEventSelector('AuthorizationUsed(address,bytes32)'));
});

/** An RPC over `blocks` blocks with one AuthorizationUsed log at `at`, refusing eth_getLogs over more than `maxRange` blocks. */
function logsRpc(options: { latest: number; at?: number; maxRange: number }) {
	const ranges: Array<[number, number]> = [];
	const http = async (request: HttpRequest) => {
		const { method, params } = request.body as {
			method: string;
			params: Array<Record<string, unknown>>;
		};
		const answer = (result: unknown) => ({
			status: 200,
			headers: {},
			body: { jsonrpc: '2.0', id: 1, result },
			url: request.url,
		});
		if (method === 'eth_blockNumber') return answer(`0x${options.latest.toString(16)}`);
		if (method === 'eth_getLogs') {
			const from = Number(params[0].fromBlock);
			const to = Number(params[0].toBlock);
			ranges.push([from, to]);
			if (to - from + 1 > options.maxRange)
				return {
					status: 200,
					headers: {},
					body: {
						jsonrpc: '2.0',
						id: 1,
						error: { code: -32005, message: 'query exceeds max block range 2000' },
					},
					url: request.url,
				};
			const topics = params[0].topics as string[];
			const hit = options.at !== undefined && options.at >= from && options.at <= to;
			return answer(
				hit
					? [
							{
								address: NETWORKS.base.usdc.address,
								blockNumber: `0x${options.at!.toString(16)}`,
								transactionHash: `0x${'e'.repeat(64)}`,
								logIndex: '0x1',
								topics,
								data: '0x',
							},
						]
					: [],
			);
		}
		if (method === 'eth_getTransactionReceipt') {
			return answer({
				status: '0x1',
				logs: [
					{
						address: NETWORKS.base.usdc.address.toLowerCase(),
						blockNumber: '0x1',
						transactionHash: `0x${'e'.repeat(64)}`,
						logIndex: '0x0',
						topics: [
							TOPICS.transfer,
							`0x${PAYER.slice(2).toLowerCase().padStart(64, '0')}`,
							`0x${'5054acbbdd6aed95231cbe833f7bf1db7c248bff'.padStart(64, '0')}`,
						],
						data: `0x${(52_700).toString(16).padStart(64, '0')}`,
					},
				],
			});
		}
		if (method === 'eth_getBlockByNumber') return answer({ timestamp: '0x6a1f0000' });
		throw new Error(`unexpected ${method}`);
	};
	return { http, ranges };
}

it('finds the transaction of a used nonce newest blocks first, in ranges the RPC accepts, and stops when found', async () => {
	const rpc = logsRpc({ latest: 100_000, at: 99_000, maxRange: 2_000 });
	const reader = await chainReader(rpc.http, NETWORKS.base, 'https://rpc.example/');
	const use = await reader.findAuthorizationUse(PAYER, NONCE, 43_200);
	expect(use).toMatchObject({
		transaction: `0x${'e'.repeat(64)}`,
		blockNumber: 99_000n,
		payTo: '0x5054acbbdd6aed95231cbe833f7bf1db7c248bff',
		amountAtomic: 52_700n,
		paidAt: new Date(0x6a1f0000 * 1000).toISOString(),
	});
	// One batch of 4 ranges of 2,000 blocks, newest first; the rest of the day is not read.
	expect(rpc.ranges).toEqual([
		[98_001, 100_000],
		[96_001, 98_000],
		[94_001, 96_000],
		[92_001, 94_000],
	]);
});

it('splits a range an RPC refuses in halves, and says when the nonce is not in the window', async () => {
	const rpc = logsRpc({ latest: 10_000, maxRange: 600 });
	const reader = await chainReader(rpc.http, NETWORKS.base, 'https://rpc.example/');
	expect(await reader.findAuthorizationUse(PAYER, NONCE, 4_000)).toBeUndefined();
	const accepted = rpc.ranges.filter(([from, to]) => to - from + 1 <= 600);
	// Every block of the window was read exactly once, in accepted ranges.
	const covered = accepted.reduce((sum, [from, to]) => sum + (to - from + 1), 0);
	expect(covered).toBe(4_000);
	expect(Math.min(...accepted.map(([from]) => from))).toBe(6_001);
});

it('reads many authorization states in one JSON-RPC batch, and one by one from an RPC that refuses batches', async () => {
	const nonces = Array.from(
		{ length: 150 },
		(_, i) => `0x${i.toString(16).padStart(64, '0')}` as const,
	);
	const used = (data: string) =>
		BigInt(`0x${data.slice(-64)}`) % 3n === 0n
			? `0x${'1'.padStart(64, '0')}`
			: `0x${'0'.padStart(64, '0')}`;
	const posts: unknown[] = [];
	const batching = await chainReader(
		async (request) => {
			posts.push(request.body);
			const calls = request.body as Array<{ id: number; params: Array<{ data: string }> }>;
			return {
				status: 200,
				headers: {},
				url: request.url,
				body: calls
					.map((c) => ({ jsonrpc: '2.0', id: c.id, result: used(c.params[0].data) }))
					.reverse(),
			};
		},
		NETWORKS.base,
		'https://rpc.example/',
	);
	const expected = nonces.map((_, i) => i % 3 === 0);
	expect(await batching.authorizationsUsed(PAYER, nonces)).toEqual(expected);
	expect(posts).toHaveLength(2); // 100 + 50: two round trips for 150 nonces

	let single = 0;
	const plain = await chainReader(
		async (request) => {
			if (Array.isArray(request.body))
				return {
					status: 200,
					headers: {},
					url: request.url,
					body: {
						jsonrpc: '2.0',
						id: null,
						error: { code: -32600, message: 'batch requests are not supported' },
					},
				};
			single++;
			const { id, params } = request.body as { id: number; params: Array<{ data: string }> };
			return {
				status: 200,
				headers: {},
				url: request.url,
				body: { jsonrpc: '2.0', id, result: used(params[0].data) },
			};
		},
		NETWORKS.base,
		'https://rpc.example/',
	);
	expect(await plain.authorizationsUsed(PAYER, nonces)).toEqual(expected);
	expect(single).toBe(150);
});

describe("receipts' reads: the chain's word on many paid answers, together", () => {
	const TX = (i: number) => `0x${String(i).padStart(64, '0')}`;
	/** A reader whose chargeStates answers after `release()`, counting its calls. */
	function slowReader(usedNonces: Set<string>) {
		const calls: Array<{ nonces: number; hashes: number }> = [];
		const gates: Array<() => void> = [];
		const reader = {
			chargeStates: async (nonces: Array<{ nonce: string }>, hashes: string[]) => {
				calls.push({ nonces: nonces.length, hashes: hashes.length });
				await new Promise<void>((resolve) => gates.push(resolve));
				return {
					used: nonces.map((n) => usedNonces.has(n.nonce)),
					onChain: hashes.map(() => 'success' as const),
				};
			},
		} as unknown as ChainReader;
		return { reader, calls, release: () => gates.splice(0).forEach((g) => g()) };
	}

	it('questions asked while every read is busy go together in the next read', async () => {
		const nonce = (i: number) => `0x${i.toString(16).padStart(64, '0')}` as const;
		const chain = slowReader(new Set([nonce(1)]));
		const reads = new ChargeReads(async () => chain.reader);
		const answers: Array<Promise<unknown>> = [];
		// Four reads start as questions come in one by one (each its own turn of the event loop)…
		for (let i = 0; i < 4; i++) {
			answers.push(reads.read(PAYER, nonce(i), TX(i)));
			await new Promise((resolve) => setImmediate(resolve));
		}
		// …then ten more wait while all four are busy, and go in one batch.
		for (let i = 4; i < 14; i++) answers.push(reads.read(PAYER, nonce(i), i % 2 ? TX(i) : null));
		await new Promise((resolve) => setImmediate(resolve));
		expect(chain.calls).toHaveLength(4);
		chain.release();
		await new Promise((resolve) => setImmediate(resolve));
		expect(chain.calls).toHaveLength(5);
		expect(chain.calls[4]).toEqual({ nonces: 10, hashes: 5 });
		chain.release();
		const all = (await Promise.all(answers)) as Array<Record<string, unknown>>;
		expect(all[1]).toMatchObject({ settlement: 'charged', transactionOnChain: 'success' });
		expect(all[0]).toMatchObject({ settlement: 'not charged' });
		expect(all[4]).toMatchObject({ settlement: 'not charged', transactionOnChain: null });
	});

	it('an RPC that does not answer makes every verdict of the read "unknown"', async () => {
		const reads = new ChargeReads(async () => {
			throw new Error('RPC down');
		});
		await expect(reads.read(PAYER, NONCE, TX(1))).resolves.toMatchObject({
			settlement: 'unknown',
			transactionOnChain: 'unknown',
		});
	});

	it('reads nonces and transactions in the same JSON-RPC batch', async () => {
		const posts: unknown[] = [];
		const reader = await chainReader(
			async (request) => {
				posts.push(request.body);
				const calls = request.body as Array<{ id: number; method: string }>;
				return {
					status: 200,
					headers: {},
					url: request.url,
					body: calls.map((c) => ({
						jsonrpc: '2.0',
						id: c.id,
						result: c.method === 'eth_call' ? `0x${'1'.padStart(64, '0')}` : { status: '0x1' },
					})),
				};
			},
			NETWORKS.base,
			'https://rpc.example/',
		);
		const states = await reader.chargeStates(
			[
				{ payer: PAYER, nonce: NONCE },
				{ payer: PAYER, nonce: NONCE },
			],
			[TX(1), 'not a hash'],
		);
		expect(states).toEqual({ used: [true, true], onChain: ['success', 'not found'] });
		expect(posts).toHaveLength(1);
		expect((posts[0] as unknown[]).length).toBe(3);
	});
});
