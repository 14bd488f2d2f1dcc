/**
 * The one shape of everything that can refuse a payment before it is signed. A control answers
 * an offer (one requirement of a 402 quote) with a refusal, a PolicyError naming its rule, or a
 * hold: the amount counted against it until the payment is signed (`signed`, it stays counted)
 * or given back because nothing left this machine (`release`). `preview` gives the same verdict
 * in the same words, holding nothing: Dry Run and Get Price ask it.
 * After @x402/core's policies and spend controls: plain pieces asked in one list (offers.ts).
 */

import { NotSignedError } from '../../errors';
import { MAX_VALIDITY_SECONDS } from '../../limits';
import { formatUsdc } from '../protocol/money';
import type { Requirement } from '../protocol/wire';

/** The rules a payment passes, in the order they are asked. */
export const POLICY_RULES = [
	'scheme',
	'network',
	'asset',
	'validity',
	'host',
	'max price',
	'recipient',
	'budget',
	'balance',
	'daily limit',
	'retry',
] as const;

export type PolicyRule = (typeof POLICY_RULES)[number];

/**
 * A payment rule refused: names the rule, the quoted price and the limit, with the facts the rule
 * adds (spent, left, when room comes back). Nothing is signed.
 */
export class PolicyError extends NotSignedError {
	readonly rule: PolicyRule;

	constructor(
		rule: PolicyRule,
		quoted: Requirement | undefined,
		message: string,
		limit: string,
		more: { hint?: string; details?: Record<string, unknown> } = {},
	) {
		super(`Payment refused by the "${rule}" rule: ${message}`, {
			kind: 'policy',
			hint: more.hint ?? hintFor(rule),
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
				...(more.details ?? {}),
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
		case 'host':
			return "The credential's Allowed Hosts for Payments does not list this host: only the credential's owner can add it (a workflow cannot).";
		case 'max price':
			return 'Raise "Max Price per Image" (node option) or "Max Payment per Request" (credential) if you accept the price.';
		case 'recipient':
			return 'The service wants the money sent to another address than "Expected Recipient". Check the Endpoint URL or update the pinned address.';
		case 'budget':
			return 'Raise "Budget per Execution", or send fewer items in one run.';
		case 'balance':
			return 'Send USDC to the wallet (its address is in the Dry Run output and X402 Wallet → Get Balance), then run again.';
		case 'daily limit':
			return 'Raise Max Spend per 24 Hours in the x402 Wallet credential.';
		case 'retry':
			return 'Set the Idempotency Key option to something that names the item (a row id, a message id), then try again; or run the workflow as a new execution.';
	}
}

/** What is known once a payment is signed, for controls that keep counting it. */
export interface SignedFacts {
	/** Unix seconds after which the authorization can no longer move money. */
	validBefore: number;
	/** The transaction that settled it, once the server or the chain names one. */
	transaction?: string | null;
}

/** An amount a control counts for one payment until it is signed or given back. */
export interface Hold {
	/** The signature may have left this machine: the amount stays counted (called again with the transaction). */
	signed(facts: SignedFacts): void;
	/** Nothing left this machine: the amount is given back. */
	release(): void;
}

/** A hold of an amount a control counted: `giveBack` undoes it, once, when nothing left. */
export function countedHold(giveBack: () => void): Hold {
	let held = true;
	return {
		signed: () => undefined,
		release: () => {
			if (held) giveBack();
			held = false;
		},
	};
}

/** A hold that counts nothing (a control that only judges the offer). */
export const NO_HOLD: Hold = Object.freeze({ signed: () => undefined, release: () => undefined });

export interface Control {
	readonly rule: PolicyRule;
	/** Starts what it reads (the balance, the chain's last day) while the unpaid request is out. */
	prefetch?(): void;
	/** Holds the offer's amount, or refuses: the check and the hold in one step. */
	hold(offer: Requirement): Promise<Hold | PolicyError>;
	/** What `hold` would answer now, in the same words, holding nothing. */
	preview(offer: Requirement): Promise<PolicyError | undefined>;
}

/** A control that only judges the offer (a cap, a pinned recipient): preview and hold agree. */
export function judge(
	rule: PolicyRule,
	refusalOf: (offer: Requirement) => PolicyError | undefined,
): Control {
	return {
		rule,
		hold: async (offer) => refusalOf(offer) ?? NO_HOLD,
		preview: async (offer) => refusalOf(offer),
	};
}
