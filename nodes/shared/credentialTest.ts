/**
 * The credential test every node using the wallet declares (`testedBy: 'x402WalletTest'`): a
 * private key has no HTTP endpoint to test against, so a node tests it. The test's code (the chain
 * reader, the signing stack) loads when a test runs, not when n8n starts.
 */

import type {
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	IDataObject,
	INodeCredentialTestResult,
} from 'n8n-workflow';

export const walletCredentialTest = {
	async x402WalletTest(
		this: ICredentialTestFunctions,
		credential: ICredentialsDecrypted,
	): Promise<INodeCredentialTestResult> {
		const [{ checkWallet }, { fetchHttp }] = await Promise.all([
			import('./walletCheck.js'),
			import('./transports.js'),
		]);
		return await checkWallet((credential.data ?? {}) as IDataObject, fetchHttp());
	},
};
