/**
 * The credential test: is the key well-formed, which address does it control, and (when the
 * RPC answers) what does that address hold. An unreachable RPC never fails a valid key. No
 * message ever contains the key.
 */

import type { INodeCredentialTestResult } from 'n8n-workflow';
import type { HttpFn } from './http';
import { CREDENTIAL_TEST_RPC_TIMEOUT_MS } from './limits';
import { chainReader } from './x402/chain';
import { readSpending } from './x402/wallet/history';
import { payerAddress } from './x402/signer';
import { walletFromCredential } from './x402/wallet/credential';
import { walletFacts, walletSentence } from './x402/wallet/facts';

export async function checkWallet(
	data: Record<string, unknown>,
	http: HttpFn,
): Promise<INodeCredentialTestResult> {
	let wallet;
	try {
		wallet = walletFromCredential(data);
	} catch (error) {
		return { status: 'Error', message: (error as Error).message };
	}
	const address = await payerAddress(wallet);
	const reader = async () =>
		await chainReader(http, wallet.network, wallet.rpcUrl, CREDENTIAL_TEST_RPC_TIMEOUT_MS);
	const facts = await walletFacts(address, reader, true);
	// What left the wallet in the last 24 hours, when the RPC answers (the daily limit's reading).
	const spent =
		facts.usdcBalance === undefined
			? undefined
			: await readSpending(await reader(), wallet.network, address).then(
					(view) => view.spentAtomic,
					() => undefined,
				);
	return { status: 'OK', message: walletSentence(wallet, facts, spent) };
}
