/**
 * The rules every payment passes before anything is signed. A policy is a
 * plain function of the quote and the limits: it picks one requirement or
 * refuses with the rule, the quoted price and the limit.
 */

import { NotSignedError } from '../../errors';
import { sameAddress } from '../protocol/assets';
import { MAX_VALIDITY_SECONDS } from '../../limits';
import { formatUsdc } from '../protocol/money';
import type { Quote, Requirement } from '../protocol/wire';
import type { Wallet } from '../wallet/credential';

export interface PaymentLimits {
	/** The caller's own cap per payment (atomic); the credential cap always applies too. */
	maxAtomic?: bigint;
	/** Pin the recipient: refuse any quote paying someone else. */
	payTo?: string;
}

export type PolicyRule =
	| 'scheme'
	| 'network'
	| 'asset'
	| 'validity'
	| 'max price'
	| 'recipient'
	| 'budget'
	| 'retry';

interface Refusal {
	rule: PolicyRule;
	message: string;
	limit: string;
}

/** A payment rule refused: names the rule, the quoted price and the limit. Nothing is signed. */
export class PolicyError extends NotSignedError {
	readonly rule: PolicyRule;

	constructor(rule: PolicyRule, quoted: Requirement | undefined, message: string, limit: string) {
		super(`Payment refused by the "${rule}" rule: ${message}`, {
			kind: 'policy',
			hint: hintFor(rule),
			details: {
				rule,
				limit,
				...(quoted
					? {
							quotedPriceUsdc: formatUsdc(quoted.amountAtomic),
							quotedPriceAtomic: quoted.amountAtomic.toString(),
							quotedNetwork: quoted.network,
							quotedAsset: quoted.asset,
							quotedPayTo: quoted.payTo,
						}
					: {}),
			},
		});
		this.name = 'PolicyError';
		this.rule = rule;
	}
}

function hintFor(rule: PolicyRule): string {
	switch (rule) {
		case 'scheme':
			return 'This package pays only the x402 "exact" scheme (EIP-3009 USDC transfers).';
		case 'network':
			return "The service wants payment on another network than the credential's. Pick the matching Network in the x402 Wallet credential, or use another endpoint.";
		case 'asset':
			return 'Only canonical USDC is paid. The service asked for another token; check the Endpoint URL.';
		case 'validity':
			return `A signed payment stays valid as long as the service asks, and could be settled at any time until then. This package signs for at most ${MAX_VALIDITY_SECONDS} seconds; use a service that asks for less.`;
		case 'max price':
			return 'Raise "Max Price per Image" (node option) or "Max Payment per Request" (credential) if you accept the price.';
		case 'recipient':
			return 'The service wants the money sent to another address than "Expected Recipient". Check the Endpoint URL or update the pinned address.';
		case 'budget':
			return 'Raise "Budget per Execution", or send fewer items in one run.';
		case 'retry':
			return 'Set the Idempotency Key option to something that names the item (a row id, a message id), then try again; or run the workflow as a new execution.';
	}
}

function check(req: Requirement, wallet: Wallet, limits: PaymentLimits): Refusal | undefined {
	if (req.scheme !== 'exact') {
		return { rule: 'scheme', message: `the service offers scheme "${req.scheme}"`, limit: 'exact' };
	}
	const extra = req.raw.extra as Record<string, unknown> | undefined;
	if (
		extra &&
		typeof extra === 'object' &&
		extra.assetTransferMethod !== undefined &&
		extra.assetTransferMethod !== 'eip3009'
	) {
		return {
			rule: 'scheme',
			message: `the service asks for a ${String(extra.assetTransferMethod).slice(0, 40)} transfer; this package signs EIP-3009 transfers only`,
			limit: 'exact (EIP-3009)',
		};
	}
	if (req.networkKey !== wallet.network.key) {
		return {
			rule: 'network',
			message: `the service wants payment on "${req.network}", the credential pays on "${wallet.network.key}"`,
			limit: wallet.network.key,
		};
	}
	if (!sameAddress(req.asset, wallet.network.usdc.address)) {
		return {
			rule: 'asset',
			message: `the service asks for asset ${req.asset}, not USDC (${wallet.network.usdc.address})`,
			limit: wallet.network.usdc.address,
		};
	}
	if (req.maxTimeoutSeconds > MAX_VALIDITY_SECONDS) {
		return {
			rule: 'validity',
			message: `the service asks for a signature valid ${req.maxTimeoutSeconds} seconds, the most this package signs is ${MAX_VALIDITY_SECONDS} seconds`,
			limit: `${MAX_VALIDITY_SECONDS} s`,
		};
	}
	const cap =
		limits.maxAtomic !== undefined && limits.maxAtomic < wallet.capAtomic
			? limits.maxAtomic
			: wallet.capAtomic;
	const capSource =
		cap === wallet.capAtomic ? 'Max Payment per Request in the credential' : 'Max Price per Image';
	if (req.amountAtomic > cap) {
		return {
			rule: 'max price',
			message: `the service asks ${formatUsdc(req.amountAtomic)} USDC, the limit is ${formatUsdc(cap)} USDC (${capSource})`,
			limit: formatUsdc(cap),
		};
	}
	if (limits.payTo && !sameAddress(req.payTo, limits.payTo)) {
		return {
			rule: 'recipient',
			message: `the service wants the money sent to ${req.payTo}, the expected recipient is ${limits.payTo}`,
			limit: limits.payTo,
		};
	}
	return undefined;
}

/** Picks the requirement to pay, or throws the refusal of the most relevant one. */
export function selectRequirement(
	quote: Quote,
	wallet: Wallet,
	limits: PaymentLimits,
): Requirement {
	const refusals: Array<{ req: Requirement; refusal: Refusal }> = [];
	for (const req of quote.accepts) {
		const refusal = check(req, wallet, limits);
		if (!refusal) return req;
		refusals.push({ req, refusal });
	}
	// Report the option that got furthest through the rules: it says the most.
	const order: PolicyRule[] = [
		'scheme',
		'network',
		'asset',
		'validity',
		'max price',
		'recipient',
		'budget',
	];
	refusals.sort((a, b) => order.indexOf(b.refusal.rule) - order.indexOf(a.refusal.rule));
	const { req, refusal } = refusals[0];
	throw new PolicyError(refusal.rule, req, refusal.message, refusal.limit);
}

/**
 * The sum of payments of one execution. Created per execution by the node;
 * never shared between executions. `alreadySpent` carries what earlier runs of
 * the same node in the same execution spent (loops), so a loop cannot reset it.
 */
export class Budget {
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

	/** Reserves an amount before signing; false when it would exceed the budget. */
	reserve(amount: bigint): boolean {
		if (this.limitAtomic !== undefined && this.spent + amount > this.limitAtomic) return false;
		this.spent += amount;
		return true;
	}

	/** Gives back a reservation that provably did not turn into a payment. */
	release(amount: bigint): void {
		this.spent -= amount;
	}
}
