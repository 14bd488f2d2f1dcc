/**
 * Wait for Job's sign-in (sign-in-with-x): a status or result URL that answers 402 with a sign-in
 * offer is signed in to with the optional X402 Wallet API credential's wallet, so polling such jobs
 * works and stays free. It never pays. Without the credential, such a 402 fails the item saying to
 * add one. The wallet and the signing code load only when a URL asks.
 */

import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { JobError, resultOf } from '../shared/errors';
import { redactUrl } from '../shared/urls';
import { signInOffered } from '../shared/x402/protocol/siwx';
import type { SignInFor } from '../shared/x402/unpaid';
import { walletFromCredential } from '../shared/x402/wallet/credential';

export function signInFor(context: IExecuteFunctions): SignInFor {
	let signer: ReturnType<typeof loadSigner> | undefined;
	return async (url, extensions) => {
		signer ??= loadSigner(context, url);
		const { sign, chainId } = await signer;
		const offered = signInOffered(extensions, url, chainId, Date.now());
		if (!offered || 'refused' in offered)
			throw new JobError(
				`${redactUrl(url)} asks for a wallet sign-in that this node does not sign: ${offered?.refused ?? 'no readable challenge'}`,
				{
					hint: "Wait for Job signs in only to the origin that asks, on the credential's network.",
					httpStatus: 402,
				},
			);
		return await sign(offered);
	};
}

async function loadSigner(context: IExecuteFunctions, url: string) {
	const data = await resultOf(context.getCredentials('x402WalletApi'));
	if (!data.ok)
		throw new JobError(
			`${redactUrl(url)} asks for a wallet sign-in (sign-in-with-x) to be read, and Wait for Job has no credential to sign in with`,
			{
				hint: 'Choose an X402 Wallet API credential in Wait for Job (the wallet that paid for the job). It only signs in, never pays.',
				httpStatus: 402,
			},
		);
	const wallet = walletFromCredential(data.value as IDataObject);
	const { Signer } = await import('../shared/x402/signer.js');
	const signer = await Signer.load(wallet);
	return {
		chainId: wallet.network.chainId,
		sign: async (offered: Parameters<typeof signer.signIn>[0]) => await signer.signIn(offered),
	};
}
