/**
 * What left a wallet in the last 24 hours, and the credential's Max Spend per 24 Hours.
 *
 * The chain is the one record every worker, restart and workflow shares: a run reads the USDC
 * `Transfer` logs from the wallet over the last day (block ranges the RPC accepts, see onchain.ts),
 * adds what this n8n process has in flight for the same wallet and what the run itself has
 * signed, and refuses a payment that would pass the limit. Whatever moved the money (this package
 * in any execution, on any worker, or another app using the same wallet) counts.
 *
 * Two tables live at module level, on purpose (everything else in the package is per execution):
 *   - HISTORIES: the transfers already read, per network and wallet, so a later run of this
 *     process reads only the blocks added since (and the last REORG_BLOCKS again). Losing it costs
 *     one full read, never a wrong answer.
 *   - IN_FLIGHT: payments this process has signed or is about to sign and that the chain does not
 *     show yet, so concurrent runs in one process see each other. Entries go when a run gives a
 *     hold back unsigned, when the chain shows the transfer, or when the authorization expires.
 * Neither holds a key: addresses, amounts, transaction hashes. Another process's payments in
 * flight are invisible until they settle: with W processes the limit can be passed by at most what
 * the other W − 1 have in flight at that moment (README "Spending limits").
 */

import type { IDataObject } from 'n8n-workflow';
import { NotSignedError } from '../../errors';
import {
	BLOCK_SECONDS,
	RECENT_READ_SECONDS,
	REORG_BLOCKS,
	SPEND_CACHE_WALLETS,
	SPEND_WINDOW_SECONDS,
} from '../../limits';
import type { KnownNetwork } from '../protocol/assets';
import { formatUsdc } from '../protocol/money';
import {
	addressTopic,
	authorizationNonce,
	TOPICS,
	transferOut,
	type ChainLog,
	type ChainReader,
	type TransferOut,
} from '../chain/reader';

/** One USDC transfer out of the wallet, dated. */
export interface Outflow extends Omit<TransferOut, 'blockTimestamp'> {
	/** Unix seconds of its block. */
	time: number;
}

/** The wallet's outflows of the last 24 hours (ending at the newest block read). */
export interface SpendingView {
	outflows: Outflow[];
	spentAtomic: bigint;
	/** Transactions in the view: a payment in flight that shows here is counted once. */
	transactions: Set<string>;
}

interface History {
	toBlock: bigint;
	tipTime: number;
	outflows: Outflow[];
}

// Per-process tables (see the file comment for why they exist and what they never hold).
const HISTORIES = new Map<string, History>();
const READING = new Map<string, Promise<SpendingView>>();
const IN_FLIGHT = new Map<string, Set<InFlight>>();

interface InFlight {
	amountAtomic: bigint;
	owner: object;
	/** Unix ms when it was held: nothing stays past the window. */
	heldAt: number;
	/** Set once the server or the chain names it. */
	transaction?: string;
	/** Unix ms after which the authorization can no longer move money (set once signed). */
	expiresAt?: number;
}

const keyOf = (network: KnownNetwork, address: string) =>
	`${network.chainId}:${address.toLowerCase()}`;

/** Forgets every table (tests of a fresh process). */
export function resetSpendingTables(): void {
	HISTORIES.clear();
	READING.clear();
	IN_FLIGHT.clear();
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
	const key = keyOf(network, address);
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
			(known?.outflows ?? []).map((o) => [`${o.transaction}:${o.logIndex}`, o.time]),
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
		const outflows = [...(known?.outflows.filter((o) => o.blockNumber < from) ?? []), ...fresh]
			.filter((o) => o.time > windowStart)
			.sort((a, b) =>
				a.blockNumber === b.blockNumber
					? a.logIndex - b.logIndex
					: a.blockNumber < b.blockNumber
						? -1
						: 1,
			);
		const history: History = { toBlock: tip.number, tipTime: tip.timestamp, outflows };
		HISTORIES.delete(key);
		HISTORIES.set(key, history);
		if (HISTORIES.size > SPEND_CACHE_WALLETS)
			HISTORIES.delete(HISTORIES.keys().next().value as string);
		const transactions = new Set(outflows.map((o) => o.transaction.toLowerCase()));
		// Payments in flight that the chain now shows are counted by the chain from here on.
		for (const entry of IN_FLIGHT.get(key) ?? [])
			if (entry.transaction && transactions.has(entry.transaction.toLowerCase()))
				IN_FLIGHT.get(key)?.delete(entry);
		return {
			outflows,
			spentAtomic: outflows.reduce((sum, o) => sum + o.amountAtomic, 0n),
			transactions,
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
): Outflow[] {
	return logs.flatMap((l) => {
		const transfer = transferOut(l, address, network.usdc.address);
		if (!transfer) return [];
		const { to, amountAtomic, transaction, logIndex, blockNumber } = transfer;
		return [{ to, amountAtomic, transaction, logIndex, blockNumber, time: timeOf(l) }];
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

/** One outgoing USDC transfer, and its EIP-3009 nonce when it was an x402 authorization. */
export interface Payment extends Outflow {
	nonce?: string;
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
): Promise<Payment[]> {
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

/** What the limit looks like for this run now (Dry Run, the refusal's facts). */
export interface LimitFacts {
	limitAtomic: bigint;
	spentAtomic: bigint;
	inFlightAtomic: bigint;
	thisRunAtomic: bigint;
	/** Unix seconds when the oldest outflow in the window leaves it (room comes back). */
	oldestLeavesAt?: number;
}

/**
 * The credential's Max Spend per 24 Hours for one node run: the chain read once (alongside the
 * first quote), then this run's own payments counted as it signs them.
 */
export class DailyLimit {
	private view?: Promise<SpendingView | Error>;
	private pending = 0n;
	private readonly holds = new Set<InFlight>();

	constructor(
		readonly limitAtomic: bigint,
		private readonly network: KnownNetwork,
		private readonly read: () => Promise<{ reader: ChainReader; address: `0x${string}` }>,
	) {}

	/** Starts the chain read now. */
	prefetch(): void {
		this.view ??= (async () => {
			const { reader, address } = await this.read();
			this.key = keyOf(this.network, address);
			return await readSpending(reader, this.network, address);
		})().catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
	}

	private key = '';

	/** The facts as of now; throws when the chain could not be read. */
	async facts(): Promise<LimitFacts> {
		return this.factsOf(await this.loaded());
	}

	/**
	 * Holds `amount` against the limit before signing; throws "daily limit" when it does not fit.
	 * The check and the hold happen in one step (no await between), so runs of this process that
	 * reserve at the same moment see each other.
	 */
	async reserve(amount: bigint): Promise<object> {
		const view = await this.loaded();
		const facts = this.factsOf(view);
		const total = facts.spentAtomic + facts.inFlightAtomic + facts.thisRunAtomic + amount;
		if (total > this.limitAtomic) throw limitError(facts, amount);
		this.pending += amount;
		const hold: InFlight = { amountAtomic: amount, owner: this, heldAt: Date.now() };
		this.holds.add(hold);
		let table = IN_FLIGHT.get(this.key);
		if (!table) IN_FLIGHT.set(this.key, (table = new Set()));
		table.add(hold);
		return hold;
	}

	private async loaded(): Promise<SpendingView> {
		this.prefetch();
		const view = await this.view;
		if (view instanceof Error || !view) throw this.unreadable(view);
		return view;
	}

	private factsOf(view: SpendingView): LimitFacts {
		const table = IN_FLIGHT.get(this.key);
		for (const entry of table ?? [])
			if (!this.holds.has(entry) && gone(entry)) table?.delete(entry);
		const inFlight = [...(table ?? [])]
			.filter((e) => !this.holds.has(e) && live(e, view))
			.reduce((sum, e) => sum + e.amountAtomic, 0n);
		const oldest = view.outflows[0];
		return {
			limitAtomic: this.limitAtomic,
			spentAtomic: view.spentAtomic,
			inFlightAtomic: inFlight,
			thisRunAtomic: this.pending,
			oldestLeavesAt: oldest ? oldest.time + SPEND_WINDOW_SECONDS : undefined,
		};
	}

	/** Gives back a hold whose signature never left this machine. */
	release(hold: object): void {
		const entry = hold as InFlight;
		this.pending -= entry.amountAtomic;
		this.holds.delete(entry);
		IN_FLIGHT.get(this.key)?.delete(entry);
	}

	/**
	 * A signed hold's verdict: its transaction once known (the chain's read will show it), and the
	 * time after which an unsettled authorization can no longer move money. The run keeps counting
	 * it either way.
	 */
	signed(hold: object, facts: { validBefore: number; transaction?: string | null }): void {
		const entry = hold as InFlight;
		entry.expiresAt = facts.validBefore * 1000;
		if (facts.transaction) entry.transaction = facts.transaction;
	}

	private unreadable(view: Error | undefined): NotSignedError {
		return new NotSignedError(
			`Payment refused by the "daily limit" rule: what this wallet spent in the last 24 hours could not be read from the chain (${view?.message ?? 'no answer'}), and a limit that cannot be checked is not held`,
			{
				kind: 'policy',
				hint: 'Check the RPC URL of the x402 Wallet credential (the public RPC may be busy: a provider URL from Alchemy, Infura or QuickNode is steadier), or clear Max Spend per 24 Hours.',
				details: { rule: 'daily limit', limit: formatUsdc(this.limitAtomic) },
			},
		);
	}
}

/** An entry another run holds: counted until the chain shows it or it can no longer settle. */
function live(entry: InFlight, view: SpendingView): boolean {
	if (entry.transaction && view.transactions.has(entry.transaction.toLowerCase())) return false;
	return !gone(entry);
}

/**
 * An entry that can be forgotten: an unsettled authorization past its validity can never move
 * money now (had it moved, the chain shows it), and nothing is kept past the window.
 */
function gone(entry: InFlight): boolean {
	const now = Date.now();
	if (entry.expiresAt !== undefined && entry.expiresAt < now && !entry.transaction) return true;
	return entry.heldAt < now - SPEND_WINDOW_SECONDS * 1000;
}

function limitError(facts: LimitFacts, amount: bigint): NotSignedError {
	const leaves = facts.oldestLeavesAt
		? new Date(facts.oldestLeavesAt * 1000).toISOString()
		: undefined;
	const parts = [
		`paying ${formatUsdc(amount)} USDC would bring this wallet's last 24 hours to ${formatUsdc(facts.spentAtomic + facts.inFlightAtomic + facts.thisRunAtomic + amount)} USDC, over its limit of ${formatUsdc(facts.limitAtomic)} USDC`,
		`(on the chain ${formatUsdc(facts.spentAtomic)}, in flight in this n8n process ${formatUsdc(facts.inFlightAtomic + facts.thisRunAtomic)})`,
	];
	return new NotSignedError(`Payment refused by the "daily limit" rule: ${parts.join(' ')}`, {
		kind: 'policy',
		hint: leaves
			? `Room comes back as payments leave the 24-hour window: the oldest leaves at ${leaves}. Or raise Max Spend per 24 Hours in the x402 Wallet credential.`
			: 'Raise Max Spend per 24 Hours in the x402 Wallet credential.',
		details: {
			rule: 'daily limit',
			limit: formatUsdc(facts.limitAtomic),
			spentUsdc: formatUsdc(facts.spentAtomic),
			inFlightUsdc: formatUsdc(facts.inFlightAtomic + facts.thisRunAtomic),
			priceUsdc: formatUsdc(amount),
			...(leaves ? { oldestLeavesAt: leaves } : {}),
		},
	});
}

/** The credential's Max Spend per 24 Hours as it stands: spent, in flight, left, when room comes back. */
export function dailyLimitJson(
	facts: LimitFacts | Error | undefined,
	priceAtomic: bigint | undefined,
): IDataObject | undefined {
	if (facts === undefined) return undefined;
	if (facts instanceof Error) return { error: facts.message };
	const used = facts.spentAtomic + facts.inFlightAtomic + facts.thisRunAtomic;
	const left = facts.limitAtomic > used ? facts.limitAtomic - used : 0n;
	return {
		limitUsdc: formatUsdc(facts.limitAtomic),
		spentLast24hUsdc: formatUsdc(facts.spentAtomic),
		inFlightUsdc: formatUsdc(facts.inFlightAtomic + facts.thisRunAtomic),
		leftUsdc: formatUsdc(left),
		...(priceAtomic ? { imagesLeft: Number(left / priceAtomic) } : {}),
		...(facts.oldestLeavesAt
			? { oldestLeavesAt: new Date(facts.oldestLeavesAt * 1000).toISOString() }
			: {}),
		...(priceAtomic !== undefined && priceAtomic > left ? { wouldPass: true } : {}),
	};
}
