/**
 * The credential's Max Spend per 24 Hours for one node run: what left the wallet in the last day
 * is read from the chain once (wallet/history.ts, alongside the first quote), this process's
 * payments in flight and the run's own are added, and a payment that would pass the limit is
 * refused, unsigned. A limit that cannot be read refuses.
 *
 * One table lives at module level, on purpose: IN_FLIGHT, the payments this process has signed or
 * is about to sign and that the chain does not show yet, so that concurrent runs in one process
 * see each other. Entries go when a run gives a hold back unsigned, when the chain shows the
 * transfer, or when the authorization expires; nothing stays past the window. It holds amounts
 * and transaction hashes, never a key. Another process's payments in flight are invisible until
 * they settle: with W processes the limit can be passed by at most what the other W − 1 have in
 * flight at that moment (README "Spending limits").
 */

import { SPEND_WINDOW_SECONDS } from '../../limits';
import type { ChainReader } from '../chain';
import type { KnownNetwork } from '../protocol/assets';
import { formatUsdc } from '../protocol/money';
import type { Requirement } from '../protocol/wire';
import { readSpending, walletKey, type SpendingView } from '../wallet/history';
import { PolicyError, type Control, type Hold } from './control';

interface InFlight {
	amountAtomic: bigint;
	/** Unix ms when it was held: nothing stays past the window. */
	heldAt: number;
	/** Set once the server or the chain names it. */
	transaction?: string;
	/** Unix ms after which the authorization can no longer move money (set once signed). */
	expiresAt?: number;
}

// The per-process table (see the file comment for why it exists and what it never holds).
const IN_FLIGHT = new Map<string, Set<InFlight>>();

/** Forgets the payments in flight (tests of a fresh process). */
export function forgetInFlight(): void {
	IN_FLIGHT.clear();
}

/** What the limit looks like for this run now (Dry Run, Get Balance, the refusal's facts). */
export interface LimitFacts {
	limitAtomic: bigint;
	spentAtomic: bigint;
	inFlightAtomic: bigint;
	thisRunAtomic: bigint;
	/** Unix seconds when the oldest transfer in the window leaves it (room comes back). */
	oldestLeavesAt?: number;
}

export class DailyLimit implements Control {
	readonly rule = 'daily limit';
	private view?: Promise<SpendingView | Error>;
	private pending = 0n;
	private readonly holds = new Set<InFlight>();
	private key = '';

	constructor(
		readonly limitAtomic: bigint,
		private readonly network: KnownNetwork,
		private readonly read: () => Promise<{ reader: ChainReader; address: `0x${string}` }>,
	) {}

	prefetch(): void {
		this.view ??= (async () => {
			const { reader, address } = await this.read();
			this.key = walletKey(this.network, address);
			return await readSpending(reader, this.network, address);
		})().catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
	}

	/** The facts as of now; throws when the chain could not be read. */
	async facts(): Promise<LimitFacts> {
		const view = await this.loaded();
		if (view instanceof PolicyError) throw view;
		return this.factsOf(view);
	}

	async preview(offer: Requirement): Promise<PolicyError | undefined> {
		const view = await this.loaded(offer);
		return view instanceof PolicyError ? view : this.refusal(offer, this.factsOf(view));
	}

	/**
	 * The check and the hold in one step (no await between), so runs of this process that hold at
	 * the same moment see each other.
	 */
	async hold(offer: Requirement): Promise<Hold | PolicyError> {
		const view = await this.loaded(offer);
		if (view instanceof PolicyError) return view;
		const refusal = this.refusal(offer, this.factsOf(view));
		if (refusal) return refusal;
		const entry: InFlight = { amountAtomic: offer.amountAtomic, heldAt: Date.now() };
		this.pending += entry.amountAtomic;
		this.holds.add(entry);
		let table = IN_FLIGHT.get(this.key);
		if (!table) IN_FLIGHT.set(this.key, (table = new Set()));
		table.add(entry);
		return {
			// The run keeps counting a signed payment: until the chain shows its transaction, or
			// until an unsettled authorization can no longer move money.
			signed: (facts) => {
				entry.expiresAt = facts.validBefore * 1000;
				if (facts.transaction) entry.transaction = facts.transaction;
			},
			release: () => {
				if (!this.holds.delete(entry)) return;
				this.pending -= entry.amountAtomic;
				IN_FLIGHT.get(this.key)?.delete(entry);
			},
		};
	}

	private async loaded(offer?: Requirement): Promise<SpendingView | PolicyError> {
		this.prefetch();
		const view = await this.view;
		if (view && !(view instanceof Error)) return view;
		return new PolicyError(
			'daily limit',
			offer,
			`what this wallet spent in the last 24 hours could not be read from the chain (${view?.message ?? 'no answer'}), and a limit that cannot be checked is not held`,
			formatUsdc(this.limitAtomic),
			{
				hint: 'Check the RPC URL of the x402 Wallet credential (the public RPC may be busy: a provider URL from Alchemy, Infura or QuickNode is steadier), or clear Max Spend per 24 Hours.',
			},
		);
	}

	private factsOf(view: SpendingView): LimitFacts {
		const table = IN_FLIGHT.get(this.key);
		let inFlight = 0n;
		for (const entry of table ?? []) {
			if (this.holds.has(entry)) continue;
			// Counted by the chain from here on, or can no longer move money: forgotten.
			if (shownBy(entry, view) || gone(entry)) table?.delete(entry);
			else inFlight += entry.amountAtomic;
		}
		const oldest = view.transfers[0];
		return {
			limitAtomic: this.limitAtomic,
			spentAtomic: view.spentAtomic,
			inFlightAtomic: inFlight,
			thisRunAtomic: this.pending,
			oldestLeavesAt: oldest ? oldest.time + SPEND_WINDOW_SECONDS : undefined,
		};
	}

	private refusal(offer: Requirement, facts: LimitFacts): PolicyError | undefined {
		const amount = offer.amountAtomic;
		const inFlight = facts.inFlightAtomic + facts.thisRunAtomic;
		const total = facts.spentAtomic + inFlight + amount;
		if (total <= facts.limitAtomic) return undefined;
		const leaves = facts.oldestLeavesAt
			? new Date(facts.oldestLeavesAt * 1000).toISOString()
			: undefined;
		return new PolicyError(
			'daily limit',
			offer,
			`paying ${formatUsdc(amount)} USDC would bring this wallet's last 24 hours to ${formatUsdc(total)} USDC, over its limit of ${formatUsdc(facts.limitAtomic)} USDC (on the chain ${formatUsdc(facts.spentAtomic)}, in flight in this n8n process ${formatUsdc(inFlight)})`,
			formatUsdc(facts.limitAtomic),
			{
				hint: leaves
					? `Room comes back as payments leave the 24-hour window: the oldest leaves at ${leaves}. Or raise Max Spend per 24 Hours in the x402 Wallet credential.`
					: undefined,
				details: {
					spentUsdc: formatUsdc(facts.spentAtomic),
					inFlightUsdc: formatUsdc(inFlight),
					priceUsdc: formatUsdc(amount),
					...(leaves ? { oldestLeavesAt: leaves } : {}),
				},
			},
		);
	}
}

/** The chain shows this payment in flight: its transaction is in the view. */
function shownBy(entry: InFlight, view: SpendingView): boolean {
	return entry.transaction !== undefined && view.transactions.has(entry.transaction.toLowerCase());
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
