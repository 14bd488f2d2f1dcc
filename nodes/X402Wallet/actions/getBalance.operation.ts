/** Get Balance: the USDC and ETH the wallet holds, the address to fund, the daily limit's room. */

import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { InputError, resultOf } from '../../shared/errors';
import { dailyLimitJson } from '../../shared/walletJson';
import { DailyLimit } from '../../shared/x402/controls';
import { formatEth, formatUsdc, parseUsdc } from '../../shared/x402/protocol/money';
import { balanceNote } from '../../shared/x402/wallet/facts';
import type { WalletRun } from './setup';

export async function execute(
	context: IExecuteFunctions,
	run: WalletRun,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const price = parseUsdc(context.getNodeParameter('priceUsdc', itemIndex, 0.0527) as number);
	if (price === undefined)
		throw new InputError('Price per Image (USDC)', 'must be a number of 0 or more', 'E.g. 0.0527.');
	const { wallet, address, reader } = run;
	const json: IDataObject = {
		address,
		network: wallet.network.label,
		fundingNote: `To fund it, send USDC on ${wallet.network.label} to ${address}; no ETH is needed (the service pays the gas of x402 payments).`,
	};
	try {
		const [usdc, eth] = await Promise.all([
			reader.usdcBalance(address),
			reader.ethBalance(address),
		]);
		json.usdcBalance = formatUsdc(usdc);
		json.ethBalance = formatEth(eth);
		json.priceUsdc = formatUsdc(price);
		json.imagesCovered = price > 0n ? Number(usdc / price) : null;
	} catch {
		return [{ json: { ...json, usdcBalance: null, balanceNote: balanceNote(wallet) } }];
	}
	if (wallet.dailyLimitAtomic !== undefined) {
		// The same reading and the same fields as Generate's Dry Run.
		const limit = new DailyLimit(wallet.dailyLimitAtomic, wallet.network, async () => ({
			reader,
			address,
		}));
		const facts = await resultOf(limit.facts());
		json.dailyLimit = dailyLimitJson(
			facts.ok ? facts.value : (facts.error as Error),
			price > 0n ? price : undefined,
		);
	}
	return [{ json }];
}
