/**
 * What left a wallet, read from the chain: the last 24 hours (the credential's Max Spend per 24
 * Hours, controls/dailyLimit.ts) and any period of up to 31 days (X402 Wallet's Get Payments).
 *
 * The chain is the one record every worker, restart and workflow shares: whatever moved the money
 * (this package in any execution, on any worker, or another app using the same wallet) counts.
 * Reads go in block ranges the RPC accepts (chain/logs.ts).
 *
 * One table lives at module level, on purpose: HISTORIES, the transfers already read per network
 * and wallet, so that a later run of this process reads only the blocks added since (and the last
 * REORG_BLOCKS again). Losing it costs one full read, never a wrong answer. It holds addresses,
 * amounts and transaction hashes, never a key.
 */

import {
	BLOCK_SECONDS,
	RECENT_READ_SECONDS,
	REORG_BLOCKS,
	SPEND_CACHE_WALLETS,
	SPEND_WINDOW_SECONDS,
} from '../../limits';
import {
	addressTopic,
	authorizationNonce,
	byPosition,
	TOPICS,
	transferOut,
	type ChainLog,
	type ChainReader,
	type Transfer,
} from '../chain';
import type { KnownNetwork } from '../protocol/assets';

/** A transfer whose block time is known (unix seconds). */
export type DatedTransfer = Transfer & { time: number };

/** The wallet's transfers out of the last 24 hours (ending at the newest block read). */
export interface SpendingView {
	transfers: DatedTransfer[];
	spentAtomic: bigint;
	/** Transactions in the view: a payment in flight that shows here is counted once. */
	transactions: Set<string>;
}

interface History {
	toBlock: bigint;
	tipTime: number;
	transfers: DatedTransfer[];
}

// The per-process table (see the file comment), and the reads in progress it is filled by.
const HISTORIES = new Map<string, History>();
const READING = new Map<string, Promise<SpendingView>>();

export const walletKey = (network: KnownNetwork, address: string) =>
	`${network.chainId}:${address.toLowerCase()}`;

/** Forgets what this process read (tests of a fresh process). */
export function forgetHistories(): void {
	HISTORIES.clear();
	READING.clear();
}

/**
 * What left `address` in the last 24 hours. The first read in a process covers the whole day; later
 * ones read from the last block seen (minus REORG_BLOCKS). Concurrent reads of one wallet share
 * one request.
 */
export async function readSpending(
	reader: ChainReader,
	network: KnownNetwork,
	address: `0x${string}`,
): Promise<SpendingView> {
	const key = walletKey(network, address);
	const running = READING.get(key);
	if (running) return await running;
	const reading = (async () => {
		const known = HISTORIES.get(key);
		const topics = [TOPICS.transfer, addressTopic(address)];
		let tip: { number: bigint; timestamp: number };
		let logs: ChainLog[];
		let from: bigint;
		if (known) {
			from = known.toBlock > BigInt(REORG_BLOCKS) ? known.toBlock - BigInt(REORG_BLOCKS) + 1n : 0n;
			({ tip, logs } = await reader.tipAndLogs(topics, from));
		} else {
			tip = await reader.latestBlock();
			from = await blockAtOrBefore(reader, tip, tip.timestamp - SPEND_WINDOW_SECONDS);
			logs = await reader.logs({ topics, fromBlock: from, toBlock: tip.number });
		}
		// Block times: from the log when the RPC gives it, else from the cache for a log already
		// read, else, for a later run's new blocks when the last read is under an hour old, the
		// newest block's time (never earlier than the truth: a payment leaves the window no sooner
		// than it should, and the read needs no extra request); otherwise read from the blocks.
		const known_ = new Map(
			(known?.transfers ?? []).map((o) => [`${o.transaction}:${o.logIndex}`, o.time]),
		);
		const recent = known !== undefined && tip.timestamp - known.tipTime <= RECENT_READ_SECONDS;
		const timeOf = (l: ChainLog) =>
			l.blockTimestamp ??
			known_.get(`${l.transactionHash}:${l.logIndex}`) ??
			(recent ? tip.timestamp : undefined);
		const missing = logs.filter((l) => timeOf(l) === undefined).map((l) => l.blockNumber);
		const times = missing.length ? await reader.blockTimes(missing) : new Map<bigint, number>();
		const fresh = dated(
			logs,
			address,
			network,
			(l) => timeOf(l) ?? times.get(l.blockNumber) ?? tip.timestamp,
		);
		const windowStart = tip.timestamp - SPEND_WINDOW_SECONDS;
		const transfers = [...(known?.transfers.filter((o) => o.blockNumber < from) ?? []), ...fresh]
			.filter((o) => o.time > windowStart)
			.sort(byPosition);
		const history: History = { toBlock: tip.number, tipTime: tip.timestamp, transfers };
		HISTORIES.delete(key);
		HISTORIES.set(key, history);
		if (HISTORIES.size > SPEND_CACHE_WALLETS)
			HISTORIES.delete(HISTORIES.keys().next().value as string);
		return {
			transfers,
			spentAtomic: transfers.reduce((sum, o) => sum + o.amountAtomic, 0n),
			transactions: new Set(transfers.map((o) => o.transaction.toLowerCase())),
		};
	})();
	READING.set(key, reading);
	try {
		return await reading;
	} finally {
		READING.delete(key);
	}
}

/** The wallet's transfers among `logs`, each dated by `timeOf` (its block's time). */
function dated(
	logs: ChainLog[],
	address: string,
	network: KnownNetwork,
	timeOf: (log: ChainLog) => number,
): DatedTransfer[] {
	return logs.flatMap((l) => {
		const transfer = transferOut(l, address, network.usdc.address);
		return transfer ? [{ ...transfer, time: timeOf(l) }] : [];
	});
}

/**
 * A block made at or before `time`: Base's 2 s spacing back from the tip, then checked against
 * the block's own time and moved further back while it is still later (a chain that made blocks
 * faster, or a test chain whose clock jumped).
 */
async function blockAtOrBefore(
	reader: ChainReader,
	tip: { number: bigint; timestamp: number },
	time: number,
): Promise<bigint> {
	const margin = 150n; // five minutes of blocks
	let from =
		tip.number - BigInt(Math.max(0, Math.ceil((tip.timestamp - time) / BLOCK_SECONDS))) - margin;
	for (let i = 0; i < 8 && from > 0n; i++) {
		const found = (await reader.blockTimes([from])).get(from) ?? 0;
		if (found <= time) return from;
		from -= BigInt(Math.ceil((found - time) / BLOCK_SECONDS)) + margin;
	}
	return from > 0n ? from : 0n;
}

/**
 * Every USDC transfer out of `address` with fromTime < block time <= toTime (unix seconds), oldest
 * first, each with its authorization nonce when the same transaction used one of the wallet's
 * EIP-3009 authorizations (x402 payments do).
 */
export async function listPayments(
	reader: ChainReader,
	network: KnownNetwork,
	address: `0x${string}`,
	fromTime: number,
	toTime: number,
): Promise<DatedTransfer[]> {
	const tip = await reader.latestBlock();
	const fromBlock = await blockAtOrBefore(reader, tip, fromTime);
	const toBlock = tip.number;
	const owner = addressTopic(address);
	const [transfers, authorizations] = await Promise.all([
		reader.logs({ topics: [TOPICS.transfer, owner], fromBlock, toBlock }),
		reader.logs({ topics: [TOPICS.nonceUsed, owner], fromBlock, toBlock }),
	]);
	const missing = transfers.filter((l) => l.blockTimestamp === undefined).map((l) => l.blockNumber);
	const times = missing.length ? await reader.blockTimes(missing) : new Map<bigint, number>();
	const nonces = new Map(
		authorizations.map((a) => [a.transactionHash.toLowerCase(), authorizationNonce(a, address)]),
	);
	const payments = dated(
		transfers,
		address,
		network,
		(l) => l.blockTimestamp ?? times.get(l.blockNumber) ?? tip.timestamp,
	)
		.map((o) => ({ ...o, nonce: nonces.get(o.transaction.toLowerCase()) }))
		.filter((p) => p.time > fromTime && p.time <= toTime);
	return payments;
}
