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

/** What the gateway needs of a facilitator (and an official resource server: getSupported). */
export type Facilitator = Pick<x402Facilitator, 'verify' | 'settle' | 'getSupported'>;

export function createFacilitator(chain: LocalChain): {
	facilitator: Facilitator;
	address: string;
} {
	const account = privateKeyToAccount(chain.facilitatorKey);
	const wallet = createWalletClient({
		account,
		chain: base,
		transport: custom(chain.provider, { retryCount: 0 }),
		pollingInterval: 20,
	}).extend(publicActions);
	// Transactions are sent one at a time (each takes the account's next nonce), while
	// verification and receipt waits run concurrently, as in a production facilitator.
	let sending: Promise<unknown> = Promise.resolve();
	const oneAtATime =
		<A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
		(...args: A): Promise<R> => {
			const next = sending.then(() => fn(...args));
			sending = next.catch(() => undefined);
			return next;
		};
	const serialized = {
		...(wallet as never as object),
		writeContract: oneAtATime(wallet.writeContract as (...args: unknown[]) => Promise<unknown>),
		sendTransaction: oneAtATime(wallet.sendTransaction as (...args: unknown[]) => Promise<unknown>),
	};
	const signer = toFacilitatorEvmSigner({ ...serialized, address: account.address } as never, {
		confirmationTimeoutMs: 30_000,
	});
	const facilitator = new x402Facilitator();
	registerExactEvmScheme(facilitator, { signer, networks: 'eip155:8453' });
	return { facilitator, address: account.address };
}
