/**
 * What a wallet is, as a person needs to see it: the address to fund, its balances, and how
 * many images they cover at a price. One reading for the credential test and Dry Run.
 * Never fails over the RPC: a balance that cannot be read is said to be so.
 */

import { hostOf } from '../../urls';
import { formatEth, formatUsdc } from '../protocol/money';
import type { ChainReader } from '../chain';
import type { Wallet } from './credential';

export interface WalletFacts {
	address: `0x${string}`;
	/** Undefined when the RPC did not answer. */
	usdcBalance?: bigint;
	ethBalance?: bigint;
}

/** Reads the balances of the paying address (both undefined when the RPC does not answer). */
export async function walletFacts(
	address: `0x${string}`,
	reader: () => Promise<ChainReader>,
	withEth = false,
): Promise<WalletFacts> {
	try {
		const chain = await reader();
		const [usdcBalance, ethBalance] = await Promise.all([
			chain.usdcBalance(address),
			withEth ? chain.ethBalance(address) : Promise.resolve(undefined),
		]);
		return { address, usdcBalance, ethBalance };
	} catch {
		return { address };
	}
}

/** Why a balance is missing: the RPC's host only (an RPC URL often embeds an API key). */
export function balanceNote(wallet: Wallet): string {
	return `The balance could not be read: the RPC at ${hostOf(wallet.rpcUrl)} did not answer (payments do not need it; set RPC URL in the credential to see it).`;
}

/**
 * The credential test's one sentence (n8n shows it only when the test fails; Dry Run shows the
 * facts).
 */
export function walletSentence(wallet: Wallet, facts: WalletFacts, spentAtomic?: bigint): string {
	const daily =
		wallet.dailyLimitAtomic !== undefined
			? `, at most ${formatUsdc(wallet.dailyLimitAtomic)} USDC per 24 hours`
			: '';
	const where = `${wallet.network.label}, cap ${formatUsdc(wallet.capAtomic)} USDC per request${daily}`;
	if (facts.usdcBalance === undefined) {
		return `Key is valid: wallet ${facts.address} (${where}). Its balance could not be read: the RPC at ${hostOf(wallet.rpcUrl)} did not answer. Payments do not need the RPC.`;
	}
	const sent =
		spentAtomic === undefined
			? ''
			: ` It sent ${formatUsdc(spentAtomic)} USDC in the last 24 hours.`;
	return `Wallet ${facts.address} (${where}) holds ${formatUsdc(facts.usdcBalance)} USDC and ${formatEth(facts.ethBalance ?? 0n)} ETH.${sent}`;
}
