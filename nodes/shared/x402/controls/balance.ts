/**
 * The balance check of one node run: the USDC balance is read once, before the first
 * payment of the run, and each payment of this run must fit in it together with the
 * payments this run already signed (they have not left the wallet when the balance was
 * read). Earlier runs of the node (loops, retries) are already out of that balance, so
 * they are not counted again; the Budget, not this check, caps spending across runs.
 * A balance that cannot be read skips the check (payments do not need the RPC).
 */

import { NotSignedError } from '../../errors';
import { formatUsdc } from '../protocol/money';

export class Funds {
	private balance?: Promise<bigint | undefined>;
	private pending = 0n;

	constructor(
		private readonly readBalance: () => Promise<bigint | undefined>,
		private readonly networkLabel: string,
	) {}

	/** Starts the balance read now (it runs alongside the first unpaid request). */
	prefetch(): void {
		this.balance ??= this.readBalance().catch(() => undefined);
	}

	/** Holds `amount` against the balance; throws a "funds" error when it does not fit. */
	async reserve(amount: bigint): Promise<void> {
		this.prefetch();
		const balance = await this.balance;
		if (balance === undefined) return;
		const needed = this.pending + amount;
		if (balance < needed) {
			throw new NotSignedError(
				`Insufficient USDC: the wallet held ${formatUsdc(balance)} USDC when this run started, and this payment of ${formatUsdc(amount)} USDC brings this run's payments to ${formatUsdc(needed)} USDC`,
				{
					kind: 'funds',
					hint: `Send USDC on ${this.networkLabel} to the wallet (its address is in the Dry Run output and the credential test), then run again.`,
					details: {
						balanceUsdc: formatUsdc(balance),
						priceUsdc: formatUsdc(amount),
						neededUsdc: formatUsdc(needed),
					},
				},
			);
		}
		this.pending = needed;
	}

	/** Gives back a hold whose signature never left this machine. */
	release(amount: bigint): void {
		this.pending -= amount;
	}
}
