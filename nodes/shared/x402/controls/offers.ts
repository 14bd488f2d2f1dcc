/**
 * Which offer of a 402 to pay, and the one list of controls every payment passes.
 *
 * An offer is payable when this package can pay it at all: the "exact" scheme by an EIP-3009
 * transfer, on the credential's network, in canonical USDC, for a validity this package signs.
 * Among the payable offers, the cheapest that every control would let through is chosen; when
 * none is, the refusal of the offer that got furthest through the rules says the most. The
 * chosen offer is then held by every control in one list (`hold`), and what was held is given
 * back in one place when a later control refuses or the signature never leaves this machine.
 * Dry Run and Get Price ask the same list (`preview`), so their verdict and wording are the
 * paying run's.
 */

import { MAX_VALIDITY_SECONDS } from '../../limits';
import { sameAddress, type KnownNetwork } from '../protocol/assets';
import type { Quote, Requirement } from '../protocol/wire';
import {
	POLICY_RULES,
	PolicyError,
	type Control,
	type Hold,
	type PolicyRule,
	type SignedFacts,
} from './control';

/** Why this package cannot pay an offer at all, or undefined when it can. */
export function unpayable(offer: Requirement, network: KnownNetwork): PolicyError | undefined {
	if (offer.scheme !== 'exact')
		return new PolicyError('scheme', offer, `the service offers scheme "${offer.scheme}"`, 'exact');
	const extra = offer.raw.extra as Record<string, unknown> | undefined;
	const method = extra && typeof extra === 'object' ? extra.assetTransferMethod : undefined;
	if (method !== undefined && method !== 'eip3009') {
		return new PolicyError(
			'scheme',
			offer,
			`the service asks for a ${String(method).slice(0, 40)} transfer; this package signs EIP-3009 transfers only`,
			'exact (EIP-3009)',
		);
	}
	if (offer.networkKey !== network.key) {
		return new PolicyError(
			'network',
			offer,
			`the service wants payment on "${offer.network}", the credential pays on "${network.key}"`,
			network.key,
		);
	}
	if (!sameAddress(offer.asset, network.usdc.address)) {
		return new PolicyError(
			'asset',
			offer,
			`the service asks for asset ${offer.asset}, not USDC (${network.usdc.address})`,
			network.usdc.address,
		);
	}
	if (offer.maxTimeoutSeconds > MAX_VALIDITY_SECONDS) {
		return new PolicyError(
			'validity',
			offer,
			`the service asks for a signature valid ${offer.maxTimeoutSeconds} seconds, the most this package signs is ${MAX_VALIDITY_SECONDS} seconds`,
			`${MAX_VALIDITY_SECONDS} s`,
		);
	}
	return undefined;
}

/** One control's verdict on the chosen offer, for Dry Run and Get Price. */
export interface Verdict {
	rule: PolicyRule;
	ok: boolean;
	refusal?: string;
}

/** The chosen offer, or the refusal; with every control's verdict on the offer it judged. */
export interface Choice {
	offer?: Requirement;
	refusal?: PolicyError;
	verdicts: Verdict[];
}

/** Everything one payment holds, given back or kept in one place. */
export interface Holds {
	signed(facts: SignedFacts): void;
	release(): void;
}

export class Controls {
	constructor(
		private readonly network: KnownNetwork,
		private readonly list: Control[],
	) {}

	prefetch(): void {
		for (const control of this.list) control.prefetch?.();
	}

	/**
	 * The cheapest payable offer every control would let through, or the refusal that says the most.
	 * Holds nothing.
	 */
	async choose(quote: Quote): Promise<Choice> {
		let furthest: Choice | undefined;
		let anyPayable = false;
		const payable = [...quote.accepts].sort((a, b) =>
			a.amountAtomic === b.amountAtomic ? 0 : a.amountAtomic < b.amountAtomic ? -1 : 1,
		);
		for (const offer of payable) {
			const protocol = unpayable(offer, this.network);
			anyPayable ||= !protocol;
			const choice = protocol ? { refusal: protocol, verdicts: [] } : await this.judgeAll(offer);
			if (!choice.refusal) return choice;
			if (!furthest || rank(choice.refusal) > rank(furthest.refusal)) furthest = choice;
		}
		if (!furthest) return { refusal: nothingOffered(), verdicts: [] };
		// Nothing this package can pay at all: the refusal names everything that was offered.
		if (!anyPayable && quote.accepts.length > 1 && furthest.refusal)
			furthest = { ...furthest, refusal: namingOffers(furthest.refusal, quote) };
		return furthest;
	}

	/**
	 * Holds the offer in every control, in order; a refusal gives back what the others held and is
	 * thrown.
	 */
	async hold(offer: Requirement): Promise<Holds> {
		const held: Hold[] = [];
		const holds: Holds = {
			signed: (facts) => held.forEach((h) => h.signed(facts)),
			release: () => held.splice(0).forEach((h) => h.release()),
		};
		for (const control of this.list) {
			const answer: unknown = await control.hold(offer).catch((error: unknown) => error);
			if (answer instanceof Error || !answer) {
				holds.release();
				throw answer;
			}
			held.push(answer as Hold);
		}
		return holds;
	}

	/**
	 * Every control's verdict on one offer (Get Price and Dry Run list them all); the refusal is the
	 * first, as the paying run's `hold` meets it.
	 */
	private async judgeAll(offer: Requirement): Promise<Choice> {
		const verdicts: Verdict[] = [];
		let refusal: PolicyError | undefined;
		for (const control of this.list) {
			const own = await control.preview(offer);
			verdicts.push({ rule: control.rule, ok: !own, ...(own ? { refusal: own.message } : {}) });
			refusal ??= own;
		}
		return refusal ? { offer, refusal, verdicts } : { offer, verdicts };
	}
}

const rank = (error?: PolicyError) => (error ? POLICY_RULES.indexOf(error.rule) : -1);

function namingOffers(refusal: PolicyError, quote: Quote): PolicyError {
	const offered = quote.accepts.map((o) => `${o.scheme} on ${o.network}`).join(', ');
	const message = refusal.message.replace(/^Payment refused by the "[^"]+" rule: /, '');
	return new PolicyError(
		refusal.rule,
		undefined,
		`${message.replace(/\. Nothing was signed or paid\.$/, '')}; no offer is payable (offered: ${offered})`,
		String(refusal.details.limit),
	);
}

function nothingOffered(): PolicyError {
	return new PolicyError('scheme', undefined, 'the service offered no way to pay', 'exact');
}
