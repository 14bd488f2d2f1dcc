import type { INodeCredentialTestResult } from 'n8n-workflow';
import type { HttpFn } from '../http';
import { CREDENTIAL_TEST_RPC_TIMEOUT_MS } from '../limits';
import { hostOf } from '../urls';
import { formatUsdc } from './money';
import { chainReader } from './onchain';
import { payerAddress } from './signer';
import { walletFromCredential, describeCap } from './wallet';

/**
 * The credential test: is the key well-formed, which address does it control,
 * and (when the RPC answers) what does that address hold. An unreachable RPC
 * never fails a valid key. No message ever contains the key.
 */
export async function checkWallet(data: Record<string, unknown>, http: HttpFn): Promise<INodeCredentialTestResult> {
	let wallet;
	try {
		wallet = walletFromCredential(data);
	} catch (error) {
		return { status: 'Error', message: (error as Error).message };
	}
	const address = await payerAddress(wallet);
	const where = `${wallet.network.label}, cap ${describeCap(wallet)} per request`;
	try {
		const reader = await chainReader(http, wallet.network, wallet.rpcUrl, CREDENTIAL_TEST_RPC_TIMEOUT_MS);
		const [usdc, eth] = await Promise.all([reader.usdcBalance(address), reader.ethBalance(address)]);
		return {
			status: 'OK',
			message: `Wallet ${address} (${where}) holds ${formatUsdc(usdc)} USDC and ${formatEth(eth)} ETH.`,
		};
	} catch {
		return {
			status: 'OK',
			message: `Key is valid: wallet ${address} (${where}). Its balance could not be read: the RPC at ${hostOf(wallet.rpcUrl)} did not answer. Payments do not need the RPC.`,
		};
	}
}

function formatEth(wei: bigint): string {
	const whole = wei / 10n ** 18n;
	const fraction = ((wei % 10n ** 18n) / 10n ** 12n).toString().padStart(6, '0').replace(/0+$/, '');
	return `${whole}.${fraction || '0'}`;
}
