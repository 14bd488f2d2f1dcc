/**
 * USDC event logs in block ranges the RPC accepts: LOG_RANGE_BLOCKS at a time (Base's public
 * endpoint asks for under 2,000), a range the RPC refuses read again in two halves, a few
 * ranges at once, newest first when searching backwards.
 */

import { resultOf } from '../../errors';
import { LOG_RANGE_BLOCKS, LOG_READS_AT_ONCE } from '../../limits';
import { hex, RpcError, type JsonRpc } from './rpc';
import { parseLogs, type ChainLog } from './usdc';

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

/** The eth_getLogs filter of the token over [from, to]. */
export function logFilter(token: string, topics: Array<string | null>, from: bigint, to: bigint) {
	return { address: token, topics, fromBlock: hex(from), toBlock: hex(to) };
}

export function logReader(rpc: JsonRpc, token: string) {
	/** One eth_getLogs over [from, to]; a range the RPC refuses is read again in two halves. */
	const logsIn = async (
		topics: Array<string | null>,
		from: bigint,
		to: bigint,
	): Promise<ChainLog[]> => {
		const read = await resultOf(rpc.request('eth_getLogs', [logFilter(token, topics, from, to)]));
		if (read.ok) return parseLogs(read.value);
		if (!isRangeRefusal(read.error) || to <= from) throw read.error;
		const middle = from + (to - from) / 2n;
		const [low, high] = await Promise.all([
			logsIn(topics, from, middle),
			logsIn(topics, middle + 1n, to),
		]);
		return [...low, ...high];
	};

	return async (query: LogQuery): Promise<ChainLog[]> => {
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
			const group = ranges.slice(start, start + LOG_READS_AT_ONCE);
			const results = await Promise.all(
				group.map(async ([from, to]) => await logsIn(query.topics, from, to)),
			);
			for (const result of results) found.push(...result);
			if (query.enough?.(found)) break;
		}
		return found.sort(byPosition);
	};
}

/** Chain order: by block, then by log index. */
export function byPosition(
	a: { blockNumber: bigint; logIndex: number },
	b: { blockNumber: bigint; logIndex: number },
): number {
	if (a.blockNumber === b.blockNumber) return a.logIndex - b.logIndex;
	return a.blockNumber < b.blockNumber ? -1 : 1;
}

/**
 * Errors with which RPCs refuse a block range or a result that is too large (Base, Alchemy, Infura,
 * QuickNode wordings).
 */
function isRangeRefusal(error: unknown): boolean {
	if (!(error instanceof RpcError) || error.code === undefined) return false;
	return error.code === -32005 || /range|too many|more than|limit|exceed/i.test(error.message);
}
