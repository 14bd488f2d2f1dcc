/**
 * Read-only chain checks (balances, EIP-3009 authorization state, transactions, event logs)
 * as plain JSON-RPC calls through the same HTTP seam as everything else: the one place the
 * package reads the chain. Signing never needs these; a failing RPC only makes a verdict
 * "unknown".
 *
 * The calls are fixed ABI encodings of two view functions of the USDC contract and the
 * topics of two of its events; selectors and topics are the first 4 / all 32 bytes of
 * keccak-256 of the signatures (checked against viem in test/unit/onchain.test.ts).
 */

import { resultOf } from '../../errors';
import type { HttpFn } from '../../http';
import { LOG_RANGE_BLOCKS, LOG_READS_AT_ONCE, RPC_BATCH_SIZE, RPC_TIMEOUT_MS } from '../../limits';
import type { KnownNetwork } from '../protocol/assets';
import type { Settlement } from '../protocol/payment';

export const SELECTORS = Object.freeze({
	/** balanceOf(address) */
	balanceOf: '0x70a08231',
	/** authorizationState(address,bytes32) */
	authorizationState: '0xe94a0102',
});

export const TOPICS = Object.freeze({
	/** Transfer(address indexed from, address indexed to, uint256 value) */
	transfer: '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef',
	/**
	 * AuthorizationUsed(address indexed authorizer, bytes32 indexed nonce): emitted once per EIP-3009
	 * nonce.
	 */
	nonceUsed: '0x98de503528ee59b575ef0c0a2576a82497bfc029a5685b209e9ec333479b10a5',
});

/** One event log of the USDC contract. */
export interface ChainLog {
	/** The contract that emitted it (lower case). */
	address: string;
	blockNumber: bigint;
	transactionHash: string;
	logIndex: number;
	topics: string[];
	data: string;
	/** Unix seconds of its block, when the RPC includes it (newer nodes do); undefined otherwise. */
	blockTimestamp?: number;
}

/** A block's number and time (unix seconds). */
export interface BlockStamp {
	number: bigint;
	timestamp: number;
}

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

export interface LogQuery {
	/** Topic filters, null for "any"; the contract is always USDC. */
	topics: Array<string | null>;
	fromBlock: bigint;
	toBlock: bigint;
	/** Read the newest blocks first (and stop early with `enough`). */
	newestFirst?: boolean;
	/** Stops reading once this says the logs found so far are enough. */
	enough?: (found: ChainLog[]) => boolean;
}

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

export type TransactionStatus = 'success' | 'reverted' | 'not found';

/** A JSON-RPC error answer, with its code (e.g. -32005 for a block range the RPC refuses). */
export class RpcError extends Error {
	constructor(
		message: string,
		readonly code?: number,
	) {
		super(message);
		this.name = 'RpcError';
	}
}

export async function chainReader(
	http: HttpFn,
	network: KnownNetwork,
	rpcUrl: string,
	timeoutMs = RPC_TIMEOUT_MS,
): Promise<ChainReader> {
	let id = 0;
	const rpc = async (method: string, params: unknown[]): Promise<unknown> => {
		const response = await http({
			method: 'POST',
			url: rpcUrl,
			body: { jsonrpc: '2.0', id: ++id, method, params },
			timeoutMs,
		});
		const body = response.body as
			| { result?: unknown; error?: { message?: string; code?: unknown } }
			| undefined;
		if (response.status !== 200 || !body || typeof body !== 'object')
			throw new RpcError(`RPC answered HTTP ${response.status}`);
		if (body.error) {
			throw new RpcError(
				`RPC error: ${String(body.error.message ?? 'unknown').slice(0, 200)}`,
				typeof body.error.code === 'number' ? body.error.code : undefined,
			);
		}
		return body.result;
	};
	const call = async (data: string): Promise<bigint> =>
		quantity(await rpc('eth_call', [{ to: network.usdc.address, data }, 'latest']));
	/** Several JSON-RPC calls in one batch request; answers matched by id, in call order. */
	const batch = async (calls: Array<[string, unknown[]]>): Promise<unknown[]> => {
		const ids = calls.map(() => ++id);
		const body = calls.map(([method, params], i) => ({
			jsonrpc: '2.0',
			id: ids[i],
			method,
			params,
		}));
		const response = await http({ method: 'POST', url: rpcUrl, body, timeoutMs });
		if (response.status !== 200 || !Array.isArray(response.body))
			throw new RpcError(`RPC answered a batch with HTTP ${response.status} and no list`);
		const byId = new Map(
			(
				response.body as Array<{
					id?: unknown;
					result?: unknown;
					error?: { message?: string; code?: unknown };
				}>
			).map((r) => [r.id, r]),
		);
		return ids.map((i) => {
			const answer = byId.get(i);
			if (!answer || answer.error)
				throw new RpcError(
					`RPC error in a batch: ${String(answer?.error?.message ?? 'no answer').slice(0, 200)}`,
					typeof answer?.error?.code === 'number' ? answer.error.code : undefined,
				);
			return answer.result;
		});
	};

	/** Several eth_calls of the USDC contract in one JSON-RPC batch. */
	const callBatch = async (datas: string[]): Promise<bigint[]> =>
		(
			await batch(
				datas.map((data): [string, unknown[]] => [
					'eth_call',
					[{ to: network.usdc.address, data }, 'latest'],
				]),
			)
		).map(quantity);

	/** One eth_getLogs over [from, to]; a range the RPC refuses is read again in two halves. */
	const logsIn = async (
		topics: Array<string | null>,
		from: bigint,
		to: bigint,
	): Promise<ChainLog[]> => {
		const read = await resultOf(
			rpc('eth_getLogs', [
				{ address: network.usdc.address, topics, fromBlock: hex(from), toBlock: hex(to) },
			]),
		);
		if (read.ok) return parseLogs(read.value);
		if (!isRangeRefusal(read.error) || to <= from) throw read.error;
		const middle = from + (to - from) / 2n;
		const [low, high] = await Promise.all([
			logsIn(topics, from, middle),
			logsIn(topics, middle + 1n, to),
		]);
		return [...low, ...high];
	};

	const logs = async (query: LogQuery): Promise<ChainLog[]> => {
		// Full ranges from the end read first: the newest blocks when searching backwards.
		const span = BigInt(LOG_RANGE_BLOCKS);
		const ranges: Array<[bigint, bigint]> = [];
		if (query.newestFirst) {
			for (let to = query.toBlock; to >= query.fromBlock; to -= span)
				ranges.push([to - span + 1n > query.fromBlock ? to - span + 1n : query.fromBlock, to]);
		} else {
			for (let from = query.fromBlock; from <= query.toBlock; from += span)
				ranges.push([from, from + span - 1n < query.toBlock ? from + span - 1n : query.toBlock]);
		}
		const found: ChainLog[] = [];
		for (let start = 0; start < ranges.length; start += LOG_READS_AT_ONCE) {
			const batch = ranges.slice(start, start + LOG_READS_AT_ONCE);
			const results = await Promise.all(
				batch.map(async ([from, to]) => await logsIn(query.topics, from, to)),
			);
			for (const result of results) found.push(...result);
			if (query.enough?.(found)) break;
		}
		return found.sort((a, b) =>
			a.blockNumber === b.blockNumber
				? a.logIndex - b.logIndex
				: a.blockNumber < b.blockNumber
					? -1
					: 1,
		);
	};

	const reader: ChainReader = {
		usdcBalance: async (address) => await call(`${SELECTORS.balanceOf}${word(address)}`),
		ethBalance: async (address) => quantity(await rpc('eth_getBalance', [address, 'latest'])),
		authorizationUsed: async (payer, nonce) =>
			(await call(`${SELECTORS.authorizationState}${word(payer)}${word(nonce)}`)) !== 0n,
		authorizationsUsed: async (payer, nonces) => {
			const datas = nonces.map(
				(nonce) => `${SELECTORS.authorizationState}${word(payer)}${word(nonce)}`,
			);
			const out: boolean[] = [];
			for (let start = 0; start < datas.length; start += RPC_BATCH_SIZE) {
				const chunk = datas.slice(start, start + RPC_BATCH_SIZE);
				const batched = await resultOf(callBatch(chunk));
				// An RPC without batches: one call each, a few at a time.
				const values = batched.ok
					? batched.value
					: await inParallel(chunk, LOG_READS_AT_ONCE, call);
				out.push(...values.map((v) => v !== 0n));
			}
			return out;
		},
		transactionStatus: async (hash) => {
			if (!/^0x[0-9a-fA-F]{64}$/.test(hash)) return 'not found';
			const receipt = (await rpc('eth_getTransactionReceipt', [hash])) as {
				status?: string;
			} | null;
			if (!receipt) return 'not found';
			return receipt.status === '0x1' ? 'success' : 'reverted';
		},
		transactionLogs: async (hash) => {
			if (!/^0x[0-9a-fA-F]{64}$/.test(hash)) return undefined;
			const receipt = (await rpc('eth_getTransactionReceipt', [hash])) as {
				status?: string;
				blockNumber?: unknown;
				logs?: unknown;
			} | null;
			if (!receipt) return undefined;
			return {
				status: receipt.status === '0x1' ? 'success' : 'reverted',
				blockNumber: quantity(receipt.blockNumber),
				logs: parseLogs(receipt.logs ?? []).filter(
					(l) => l.address === network.usdc.address.toLowerCase(),
				),
			};
		},
		blockNumber: async () => quantity(await rpc('eth_blockNumber', [])),
		latestBlock: async () => blockStamp(await rpc('eth_getBlockByNumber', ['latest', false])),
		blockTimes: async (blocks) => {
			const distinct = [...new Set(blocks)];
			const times = new Map<bigint, number>();
			for (let start = 0; start < distinct.length; start += RPC_BATCH_SIZE) {
				const chunk = distinct.slice(start, start + RPC_BATCH_SIZE);
				const calls = chunk.map((b): [string, unknown[]] => [
					'eth_getBlockByNumber',
					[hex(b), false],
				]);
				const batched = await resultOf(batch(calls));
				const answers = batched.ok
					? batched.value
					: await inParallel(calls, LOG_READS_AT_ONCE, async ([m, p]) => await rpc(m, p));
				answers.forEach((a, i) => times.set(chunk[i], blockStamp(a).timestamp));
			}
			return times;
		},
		tipAndLogs: async (topics, fromBlock) => {
			const to = fromBlock + BigInt(LOG_RANGE_BLOCKS) - 1n;
			const filter = {
				address: network.usdc.address,
				topics,
				fromBlock: hex(fromBlock),
				toBlock: hex(to),
			};
			const together = await resultOf(
				batch([
					['eth_getBlockByNumber', ['latest', false]],
					['eth_getLogs', [filter]],
				]),
			);
			if (together.ok) {
				const tip = blockStamp(together.value[0]);
				const first = parseLogs(together.value[1]).filter((l) => l.blockNumber <= tip.number);
				if (tip.number <= to) return { tip, logs: first };
				const rest = await logs({ topics, fromBlock: to + 1n, toBlock: tip.number });
				return { tip, logs: [...first, ...rest] };
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
				topics: [TOPICS.nonceUsed, `0x${word(payer)}`, `0x${word(nonce)}`],
				fromBlock,
				toBlock: latest,
				newestFirst: true,
				enough: (so) => so.length > 0,
			});
			const use = found[0];
			if (!use) return undefined;
			const [receipt, block] = await Promise.all([
				resultOf(rpc('eth_getTransactionReceipt', [use.transactionHash])),
				resultOf(rpc('eth_getBlockByNumber', [hex(use.blockNumber), false])),
			]);
			const transfer = receipt.ok
				? parseLogs((receipt.value as { logs?: unknown } | null)?.logs ?? [])
						.map((l) => transferOut(l, payer, network.usdc.address))
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

/** `work` over every input, at most `limit` at once, results in input order. */
async function inParallel<T, R>(
	inputs: T[],
	limit: number,
	work: (input: T) => Promise<R>,
): Promise<R[]> {
	const results: R[] = new Array(inputs.length);
	let next = 0;
	await Promise.all(
		Array.from({ length: Math.min(limit, inputs.length) }, async () => {
			while (next < inputs.length) {
				const i = next++;
				results[i] = await work(inputs[i]);
			}
		}),
	);
	return results;
}

/**
 * Errors with which RPCs refuse a block range or a result that is too large (Base, Alchemy, Infura,
 * QuickNode wordings).
 */
function isRangeRefusal(error: unknown): boolean {
	if (!(error instanceof RpcError) || error.code === undefined) return false;
	return error.code === -32005 || /range|too many|more than|limit|exceed/i.test(error.message);
}

function parseLogs(value: unknown): ChainLog[] {
	if (!Array.isArray(value)) throw new RpcError('RPC answered logs that are not a list');
	return value.map((raw) => {
		const log = raw as Record<string, unknown>;
		const topics = Array.isArray(log.topics)
			? log.topics.filter((t): t is string => typeof t === 'string')
			: [];
		return {
			address: typeof log.address === 'string' ? log.address.toLowerCase() : '',
			blockNumber: quantity(log.blockNumber),
			transactionHash: typeof log.transactionHash === 'string' ? log.transactionHash : '',
			logIndex: Number(quantity(log.logIndex ?? '0x0')),
			topics,
			data: typeof log.data === 'string' ? log.data : '0x',
			...(typeof log.blockTimestamp === 'string' && /^0x[0-9a-f]+$/i.test(log.blockTimestamp)
				? { blockTimestamp: Number(BigInt(log.blockTimestamp)) }
				: {}),
		};
	});
}

/** A block answer's number and time. */
function blockStamp(value: unknown): BlockStamp {
	const block = value as { number?: unknown; timestamp?: unknown } | null;
	if (!block) throw new RpcError('RPC answered no block');
	return { number: quantity(block.number), timestamp: Number(quantity(block.timestamp)) };
}

/** A USDC transfer out of a wallet, read from its Transfer log. */
export interface TransferOut {
	to: string;
	amountAtomic: bigint;
	transaction: string;
	logIndex: number;
	blockNumber: bigint;
	/** Unix seconds of its block, when the RPC gave it with the log. */
	blockTimestamp?: number;
}

/** The one reading of USDC Transfer logs: the transfer out of `payer` this log is, or undefined. */
export function transferOut(log: ChainLog, payer: string, token: string): TransferOut | undefined {
	if (
		log.address !== token.toLowerCase() ||
		log.topics[0] !== TOPICS.transfer ||
		log.topics[1]?.toLowerCase() !== addressTopic(payer) ||
		!log.topics[2]
	)
		return undefined;
	return {
		to: `0x${log.topics[2].slice(-40)}`,
		amountAtomic: quantity(log.data),
		transaction: log.transactionHash,
		logIndex: log.logIndex,
		blockNumber: log.blockNumber,
		...(log.blockTimestamp !== undefined ? { blockTimestamp: log.blockTimestamp } : {}),
	};
}

/** The EIP-3009 nonce an AuthorizationUsed log of `payer` carries, or undefined. */
export function authorizationNonce(log: ChainLog, payer: string): string | undefined {
	return log.topics[0] === TOPICS.nonceUsed && log.topics[1]?.toLowerCase() === addressTopic(payer)
		? log.topics[2]
		: undefined;
}

/** An address as an indexed event topic (a filter on `from`, `to` or `authorizer`). */
export function addressTopic(address: string): string {
	return `0x${word(address)}`;
}

/** One 32-byte ABI word: an address or a bytes32, left-padded hex without 0x. */
function word(value: string): string {
	const text = value.replace(/^0x/i, '').toLowerCase();
	if (!/^[0-9a-f]{1,64}$/.test(text)) throw new Error('not an ABI word');
	return text.padStart(64, '0');
}

function hex(value: bigint): string {
	return `0x${value.toString(16)}`;
}

/** A JSON-RPC quantity or a uint256 return value. */
function quantity(value: unknown): bigint {
	if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{0,64}$/.test(value))
		throw new RpcError('RPC answered something that is not a number');
	return value === '0x' ? 0n : BigInt(value);
}

/**
 * Asks the token contract whether a signed authorization was used: its settlement. Never throws.
 */
export async function settlementOf(
	reader: () => Promise<ChainReader>,
	payer: `0x${string}`,
	nonce: `0x${string}`,
): Promise<{ settlement: Settlement; checkedAt: string }> {
	const checkedAt = new Date().toISOString();
	try {
		const used = await (await reader()).authorizationUsed(payer, nonce);
		return { settlement: used ? 'charged' : 'not charged', checkedAt };
	} catch {
		return { settlement: 'unknown', checkedAt };
	}
}
