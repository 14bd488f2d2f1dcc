/**
 * Read-only chain checks (balances, EIP-3009 authorization state, transactions, event logs) as
 * plain JSON-RPC calls through the same HTTP seam as everything else: the one place the package
 * reads the chain. Signing never needs it; a failing RPC only makes a verdict "unknown". Many
 * reads of one kind go in JSON-RPC batches (RPC_BATCH_SIZE a request), one call each, a few at a
 * time, when the RPC refuses batches.
 */

import { resultOf } from '../../errors';
import { LOG_RANGE_BLOCKS, LOG_READS_AT_ONCE, RPC_BATCH_SIZE, RPC_TIMEOUT_MS } from '../../limits';
import type { HttpFn } from '../../http';
import type { KnownNetwork } from '../protocol/assets';
import { byPosition, logFilter, logReader, type LogQuery } from './logs';
import {
	blockStamp,
	hex,
	inParallel,
	jsonRpc,
	quantity,
	type BlockStamp,
	type RpcCall,
} from './rpc';
import {
	addressTopic,
	authorizationStateCall,
	balanceOfCall,
	parseLogs,
	TOPICS,
	transferOut,
	type ChainLog,
} from './usdc';

/** Where and when an EIP-3009 nonce was used, read from the token's own events. */
export interface AuthorizationUse {
	transaction: string;
	blockNumber: bigint;
	/** ISO time of the block; undefined when the block could not be read. */
	paidAt?: string;
	/** From the USDC Transfer event of the same transaction, when it carries one from the payer. */
	payTo?: string;
	amountAtomic?: bigint;
}

export type TransactionStatus = 'success' | 'reverted' | 'not found';

export interface ChainReader {
	usdcBalance(address: `0x${string}`): Promise<bigint>;
	ethBalance(address: `0x${string}`): Promise<bigint>;
	/** true when the token contract marks (payer, nonce) as used, i.e. the transfer happened. */
	authorizationUsed(payer: `0x${string}`, nonce: `0x${string}`): Promise<boolean>;
	/**
	 * The same for many nonces, in JSON-RPC batches (one round trip per RPC_BATCH_SIZE); calls one by
	 * one if the RPC refuses batches.
	 */
	authorizationsUsed(payer: `0x${string}`, nonces: Array<`0x${string}`>): Promise<boolean[]>;
	/** Whether a transaction hash is mined on this chain, and how it ended. */
	transactionStatus(hash: string): Promise<TransactionStatus>;
	/**
	 * Whether each (payer, nonce) is used and each transaction is on the chain, all in the same
	 * JSON-RPC batches: a receipt's two questions for many items at once.
	 */
	chargeStates(
		nonces: Array<{ payer: `0x${string}`; nonce: `0x${string}` }>,
		hashes: string[],
	): Promise<{ used: boolean[]; onChain: TransactionStatus[] }>;
	/** A mined transaction's outcome, block and USDC event logs; undefined when not found. */
	transactionLogs(
		hash: string,
	): Promise<{ status: 'success' | 'reverted'; blockNumber: bigint; logs: ChainLog[] } | undefined>;
	blockNumber(): Promise<bigint>;
	/** The newest block: number and time. */
	latestBlock(): Promise<BlockStamp>;
	/** The times of blocks (unix seconds), in JSON-RPC batches. */
	blockTimes(blocks: bigint[]): Promise<Map<bigint, number>>;
	/**
	 * The newest block and the logs from `fromBlock` on, in one JSON-RPC batch when the RPC takes
	 * batches and the gap fits in one range (a later run's read); more ranges when it does not.
	 */
	tipAndLogs(
		topics: Array<string | null>,
		fromBlock: bigint,
	): Promise<{ tip: BlockStamp; logs: ChainLog[] }>;
	/**
	 * USDC event logs, read in block ranges the RPC accepts (LOG_RANGE_BLOCKS, halved when refused).
	 */
	logs(query: LogQuery): Promise<ChainLog[]>;
	/**
	 * The transaction that used (payer, nonce), searched in the last `lookbackBlocks` blocks;
	 * undefined if not there.
	 */
	findAuthorizationUse(
		payer: `0x${string}`,
		nonce: `0x${string}`,
		lookbackBlocks: number,
	): Promise<AuthorizationUse | undefined>;
}

export async function chainReader(
	http: HttpFn,
	network: KnownNetwork,
	rpcUrl: string,
	timeoutMs = RPC_TIMEOUT_MS,
): Promise<ChainReader> {
	const rpc = jsonRpc(http, rpcUrl, timeoutMs);
	const token = network.usdc.address;
	const logs = logReader(rpc, token);
	const usdcCall = (data: string): RpcCall => ['eth_call', [{ to: token, data }, 'latest']];

	/** Many calls of one kind: batches of RPC_BATCH_SIZE, or one by one when batches are refused. */
	const many = async (calls: RpcCall[]): Promise<unknown[]> => {
		const out: unknown[] = [];
		for (let start = 0; start < calls.length; start += RPC_BATCH_SIZE) {
			const chunk = calls.slice(start, start + RPC_BATCH_SIZE);
			const batched = await resultOf(
				chunk.length === 1 ? rpc.request(...chunk[0]).then((r) => [r]) : rpc.batch(chunk),
			);
			out.push(
				...(batched.ok
					? batched.value
					: await inParallel(chunk, LOG_READS_AT_ONCE, async ([m, p]) => await rpc.request(m, p))),
			);
		}
		return out;
	};
	const receiptOf = async (hash: string) =>
		(await rpc.request('eth_getTransactionReceipt', [hash])) as {
			status?: string;
			blockNumber?: unknown;
			logs?: unknown;
		} | null;
	const statusOf = (receipt: { status?: string } | null): TransactionStatus =>
		!receipt ? 'not found' : receipt.status === '0x1' ? 'success' : 'reverted';
	const isHash = (hash: string) => /^0x[0-9a-fA-F]{64}$/.test(hash);

	const reader: ChainReader = {
		usdcBalance: async (address) =>
			quantity(await rpc.request(...usdcCall(balanceOfCall(address)))),
		ethBalance: async (address) =>
			quantity(await rpc.request('eth_getBalance', [address, 'latest'])),
		authorizationUsed: async (payer, nonce) =>
			quantity(await rpc.request(...usdcCall(authorizationStateCall(payer, nonce)))) !== 0n,
		authorizationsUsed: async (payer, nonces) =>
			(await many(nonces.map((n) => usdcCall(authorizationStateCall(payer, n))))).map(
				(v) => quantity(v) !== 0n,
			),
		transactionStatus: async (hash) =>
			isHash(hash) ? statusOf(await receiptOf(hash)) : 'not found',
		chargeStates: async (nonces, hashes) => {
			const valid = hashes.filter(isHash);
			const answers = await many([
				...nonces.map((n) => usdcCall(authorizationStateCall(n.payer, n.nonce))),
				...valid.map((h): RpcCall => ['eth_getTransactionReceipt', [h]]),
			]);
			const receipts = answers.slice(nonces.length) as Array<{ status?: string } | null>;
			const byHash = new Map(valid.map((h, i) => [h, statusOf(receipts[i])]));
			return {
				used: answers.slice(0, nonces.length).map((v) => quantity(v) !== 0n),
				onChain: hashes.map((h) => byHash.get(h) ?? 'not found'),
			};
		},
		transactionLogs: async (hash) => {
			if (!isHash(hash)) return undefined;
			const receipt = await receiptOf(hash);
			if (!receipt) return undefined;
			return {
				status: receipt.status === '0x1' ? 'success' : 'reverted',
				blockNumber: quantity(receipt.blockNumber),
				logs: parseLogs(receipt.logs ?? []).filter((l) => l.address === token.toLowerCase()),
			};
		},
		blockNumber: async () => quantity(await rpc.request('eth_blockNumber', [])),
		latestBlock: async () =>
			blockStamp(await rpc.request('eth_getBlockByNumber', ['latest', false])),
		blockTimes: async (blocks) => {
			const distinct = [...new Set(blocks)];
			const answers = await many(
				distinct.map((b): RpcCall => ['eth_getBlockByNumber', [hex(b), false]]),
			);
			return new Map(distinct.map((b, i) => [b, blockStamp(answers[i]).timestamp]));
		},
		tipAndLogs: async (topics, fromBlock) => {
			const to = fromBlock + BigInt(LOG_RANGE_BLOCKS) - 1n;
			const together = await resultOf(
				rpc.batch([
					['eth_getBlockByNumber', ['latest', false]],
					['eth_getLogs', [logFilter(token, topics, fromBlock, to)]],
				]),
			);
			if (together.ok) {
				const tip = blockStamp(together.value[0]);
				const first = parseLogs(together.value[1]).filter((l) => l.blockNumber <= tip.number);
				if (tip.number <= to) return { tip, logs: first };
				const rest = await logs({ topics, fromBlock: to + 1n, toBlock: tip.number });
				return { tip, logs: [...first, ...rest].sort(byPosition) };
			}
			// An RPC without batches (or that refused the range): the tip, then the logs in ranges.
			const tip = await reader.latestBlock();
			const found =
				tip.number >= fromBlock ? await logs({ topics, fromBlock, toBlock: tip.number }) : [];
			return { tip, logs: found };
		},
		logs,
		findAuthorizationUse: async (payer, nonce, lookbackBlocks) => {
			const latest = await reader.blockNumber();
			const fromBlock = latest > BigInt(lookbackBlocks) ? latest - BigInt(lookbackBlocks) + 1n : 0n;
			const found = await logs({
				topics: [TOPICS.nonceUsed, addressTopic(payer), addressTopic(nonce)],
				fromBlock,
				toBlock: latest,
				newestFirst: true,
				enough: (so) => so.length > 0,
			});
			const use = found[0];
			if (!use) return undefined;
			const [receipt, block] = await Promise.all([
				resultOf(receiptOf(use.transactionHash)),
				resultOf(rpc.request('eth_getBlockByNumber', [hex(use.blockNumber), false])),
			]);
			const transfer = receipt.ok
				? parseLogs(receipt.value?.logs ?? [])
						.map((l) => transferOut(l, payer, token))
						.find((t) => t !== undefined)
				: undefined;
			const timestamp = block.ok
				? (block.value as { timestamp?: unknown } | null)?.timestamp
				: undefined;
			return {
				transaction: use.transactionHash,
				blockNumber: use.blockNumber,
				paidAt:
					typeof timestamp === 'string' && /^0x[0-9a-f]+$/i.test(timestamp)
						? new Date(Number(BigInt(timestamp)) * 1000).toISOString()
						: undefined,
				...(transfer ? { payTo: transfer.to, amountAtomic: transfer.amountAtomic } : {}),
			};
		},
	};
	return reader;
}
