/**
 * The official x402 facilitator code (@x402/core + @x402/evm), verifying and
 * settling v1 and v2 "exact" payments on the local chain. Development only.
 */
import { x402Facilitator } from '@x402/core/facilitator';
import { toFacilitatorEvmSigner } from '@x402/evm';
import { registerExactEvmScheme } from '@x402/evm/exact/facilitator';
import { createWalletClient, custom, publicActions } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { base } from 'viem/chains';
import type { LocalChain } from './chain';

/** What the gateway needs of a facilitator. */
export type Facilitator = Pick<x402Facilitator, 'verify' | 'settle'>;

export function createFacilitator(chain: LocalChain): { facilitator: Facilitator; address: string } {
	const account = privateKeyToAccount(chain.facilitatorKey);
	const wallet = createWalletClient({
		account,
		chain: base,
		transport: custom(chain.provider, { retryCount: 0 }),
		pollingInterval: 20,
	}).extend(publicActions);
	const signer = toFacilitatorEvmSigner({ ...(wallet as never as object), address: account.address } as never, {
		confirmationTimeoutMs: 30_000,
	});
	const facilitator = new x402Facilitator();
	registerExactEvmScheme(facilitator, { signer, networks: 'eip155:8453' });
	// One settlement at a time: the facilitator's account sends transactions, and two
	// concurrent sends would race for the same account nonce (a real facilitator runs a nonce manager).
	let queue: Promise<unknown> = Promise.resolve();
	const settle: Facilitator['settle'] = (payload, requirements) => {
		const next = queue.then(() => facilitator.settle(payload, requirements));
		queue = next.catch(() => undefined);
		return next;
	};
	return { facilitator: { verify: (p, r) => facilitator.verify(p, r), settle }, address: account.address };
}
