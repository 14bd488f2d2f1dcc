/**
 * The balance check of one node run: the USDC balance is read once, before the first payment of
 * the run (alongside the unpaid request), and each payment of this run must fit in it together
 * with the payments this run already holds (they have not left the wallet when the balance was
 * read). Earlier runs of the node (loops, retries) are already out of that balance, so they are
 * not counted again; the Budget, not this check, caps spending across runs. A balance that
 * cannot be read skips the check (payments do not need the RPC).
 */

import { formatUsdc } from '../protocol/money';
import type { Requirement } from '../protocol/wire';
import { countedHold, PolicyError, type Control, type Hold } from './control';

export class Balance implements Control {
	readonly rule = 'balance';
	private balance?: Promise<bigint | undefined>;
	private pending = 0n;

	constructor(
		private readonly readBalance: () => Promise<bigint | undefined>,
		private readonly networkLabel: string,
	) {}

	prefetch(): void {
		this.balance ??= this.readBalance().catch(() => undefined);
	}

	async hold(offer: Requirement): Promise<Hold | PolicyError> {
		// The check and the hold with no await between: items of this run see each other.
		const refusal = this.refusal(offer, await this.read());
		if (refusal) return refusal;
		const amount = offer.amountAtomic;
		this.pending += amount;
		return countedHold(() => (this.pending -= amount));
	}

	async preview(offer: Requirement): Promise<PolicyError | undefined> {
		return this.refusal(offer, await this.read());
	}

	private async read(): Promise<bigint | undefined> {
		this.prefetch();
		return await this.balance;
	}

	private refusal(offer: Requirement, balance: bigint | undefined): PolicyError | undefined {
		const amount = offer.amountAtomic;
		const needed = this.pending + amount;
		if (balance === undefined || balance >= needed) return undefined;
		return new PolicyError(
			'balance',
			offer,
			`insufficient USDC: the wallet held ${formatUsdc(balance)} USDC when this run started, and this payment of ${formatUsdc(amount)} USDC brings this run's payments to ${formatUsdc(needed)} USDC`,
			formatUsdc(balance),
			{
				hint: `Send USDC on ${this.networkLabel} to the wallet (its address is in the Dry Run output and X402 Wallet → Get Balance), then run again.`,
				details: {
					balanceUsdc: formatUsdc(balance),
					priceUsdc: formatUsdc(amount),
					neededUsdc: formatUsdc(needed),
				},
			},
		);
	}
}
