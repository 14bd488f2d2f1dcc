/**
 * The wallet and its limits as n8n JSON: what Dry Run and X402 Wallet → Get Balance show. The
 * payment core gives the facts; shaping them for n8n is the nodes' job.
 */

import type { IDataObject } from 'n8n-workflow';
import type { LimitFacts, Verdict } from './x402/controls';
import { formatUsdc } from './x402/protocol/money';
import type { Wallet } from './x402/wallet/credential';
import { balanceNote, type WalletFacts } from './x402/wallet/facts';

/**
 * The paying wallet as the Dry Run shows it: address, network, USDC held and how many images that
 * covers.
 */
export function walletJson(wallet: Wallet, facts: WalletFacts, priceAtomic?: bigint): IDataObject {
	const json: IDataObject = { address: facts.address, network: wallet.network.label };
	if (facts.usdcBalance === undefined)
		return { ...json, usdcBalance: null, balanceNote: balanceNote(wallet) };
	json.usdcBalance = formatUsdc(facts.usdcBalance);
	if (priceAtomic !== undefined && priceAtomic > 0n) {
		json.imagesCovered = Number(facts.usdcBalance / priceAtomic);
		if (facts.usdcBalance < priceAtomic)
			json.fundingNote = `Send USDC on ${wallet.network.label} to ${facts.address} before running without Dry Run.`;
	}
	return json;
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

/** Every control's verdict on the offer it judged, as Dry Run lists them. */
export function verdictsJson(verdicts: Verdict[]): IDataObject[] {
	return verdicts.map((v) => ({
		rule: v.rule,
		ok: v.ok,
		...(v.refusal ? { refusal: v.refusal } : {}),
	}));
}
