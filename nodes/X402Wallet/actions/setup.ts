/** What every operation of one X402 Wallet run shares: the wallet, its address, the chain reader. */

import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { n8nHttp } from '../../shared/transports';
import { chainReader, type ChainReader } from '../../shared/x402/chain';
import { payerAddress } from '../../shared/x402/signer';
import { walletFromCredential, type Wallet } from '../../shared/x402/wallet/credential';

export interface WalletRun {
	wallet: Wallet;
	address: `0x${string}`;
	reader: ChainReader;
}

export async function setUpWallet(context: IExecuteFunctions): Promise<WalletRun> {
	const wallet = walletFromCredential(
		(await context.getCredentials('x402WalletApi')) as IDataObject,
	);
	const address = await payerAddress(wallet);
	const reader = await chainReader(n8nHttp(context), wallet.network, wallet.rpcUrl);
	return { wallet, address, reader };
}

/** Unix seconds as an ISO date. */
export const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
