/**
 * Budget per Execution: the sum of payments of one execution. Created per execution by the node,
 * never shared between executions; `alreadySpent` carries what earlier runs of the same node in
 * the same execution spent (loops), so a loop cannot reset it. A signed payment stays counted
 * whatever its verdict: "not charged" is a snapshot, and the authorization could still settle.
 */

import { formatUsdc } from '../protocol/money';
import { countedHold, PolicyError, type Control, type Hold } from './control';
import type { Requirement } from '../protocol/wire';

export class Budget implements Control {
	readonly rule = 'budget';
	private spent: bigint;

	constructor(
		readonly limitAtomic?: bigint,
		alreadySpent = 0n,
	) {
		this.spent = alreadySpent;
	}

	get spentAtomic(): bigint {
		return this.spent;
	}

	async hold(offer: Requirement): Promise<Hold | PolicyError> {
		const refusal = this.refusal(offer);
		if (refusal) return refusal;
		const amount = offer.amountAtomic;
		this.spent += amount;
		return countedHold(() => (this.spent -= amount));
	}

	async preview(offer: Requirement): Promise<PolicyError | undefined> {
		return this.refusal(offer);
	}

	private refusal(offer: Requirement): PolicyError | undefined {
		const amount = offer.amountAtomic;
		if (this.limitAtomic === undefined || this.spent + amount <= this.limitAtomic) return undefined;
		const limit = formatUsdc(this.limitAtomic);
		return new PolicyError(
			'budget',
			offer,
			`paying ${formatUsdc(amount)} USDC would bring this execution's spending to ${formatUsdc(this.spent + amount)} USDC, over the budget of ${limit} USDC`,
			limit,
		);
	}
}
