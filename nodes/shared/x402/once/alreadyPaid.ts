/**
 * The already-paid read: was this call paid before? The chain answers: a call's nonce is derived
 * from its payment key, and USDC marks a used nonce. For a run whose calls may have been tried
 * before, their nonces are read in one batch alongside the first quote; a used one is reported
 * with the transaction that used it, found in the token's AuthorizationUsed events.
 */

import { resultOf } from '../../errors';
import { AUTHORIZATION_LOOKBACK_BLOCKS } from '../../limits';
import { isLocalUrl } from '../../urls';
import type { PaymentCall } from './call';
import { formatUsdc } from '../protocol/money';
import type { ChainReader } from '../chain';
import { AlreadyPaidError, type EarlierPayment } from '../protocol/payment';
import type { Wallet } from '../wallet/credential';

export class AlreadyPaidRead {
	/**
	 * The chain's word on the nonces of calls that may have been tried before, read in one go
	 * (expect).
	 */
	private known?: Promise<Map<string, boolean>>;

	constructor(
		private readonly reader: () => Promise<ChainReader>,
		private readonly payer: () => Promise<`0x${string}`>,
		private readonly wallet: Wallet,
	) {}

	/**
	 * Starts one batched read of these nonces' state (once per run), so that no item waits for its
	 * own.
	 */
	expect(nonces: Array<`0x${string}`>): void {
		if (!nonces.length || this.known) return;
		this.known = (async () => {
			const used = await (await this.reader()).authorizationsUsed(await this.payer(), nonces);
			return new Map(nonces.map((nonce, i) => [nonce, used[i]]));
		})();
		this.known.catch(() => undefined);
	}

	/**
	 * Whether the chain shows this nonce used: from the batched read when it has it, else asked now.
	 */
	async used(nonce: `0x${string}`): Promise<boolean> {
		const known = this.known ? await this.known.catch(() => undefined) : undefined;
		const answer = known?.get(nonce);
		if (answer !== undefined) return answer;
		return await (await this.reader()).authorizationUsed(await this.payer(), nonce);
	}

	/**
	 * The report of a call whose nonce the chain shows used: where and when it was paid. Never
	 * throws.
	 */
	async report(call: PaymentCall, nonce: `0x${string}`): Promise<AlreadyPaidError> {
		const payer = await resultOf(this.payer());
		const earlier: EarlierPayment = {
			payer: payer.ok ? payer.value : 'unknown',
			nonce,
			paymentKey: call.key,
			checkedAt: new Date().toISOString(),
		};
		const use = payer.ok
			? await resultOf(
					async () =>
						await (
							await this.reader()
						).findAuthorizationUse(payer.value, nonce, AUTHORIZATION_LOOKBACK_BLOCKS),
				)
			: undefined;
		if (use?.ok && use.value) {
			earlier.transaction = use.value.transaction;
			earlier.blockNumber = use.value.blockNumber.toString();
			earlier.paidAt = use.value.paidAt;
			if (use.value.payTo) earlier.payTo = use.value.payTo;
			if (use.value.amountAtomic !== undefined)
				earlier.amountUsdc = formatUsdc(use.value.amountAtomic);
			if (!isLocalUrl(this.wallet.rpcUrl))
				earlier.explorerUrl = `${this.wallet.network.explorerTxUrl}${use.value.transaction}`;
		} else {
			earlier.lookupNote = use?.ok
				? `its transaction is older than the last ${AUTHORIZATION_LOOKBACK_BLOCKS} blocks searched`
				: 'its transaction could not be looked up: the RPC did not answer';
		}
		return new AlreadyPaidError(earlier);
	}
}
