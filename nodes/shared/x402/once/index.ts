/**
 * Paid once per call: the one entry the operations and the session use.
 *
 * A call (its payment key, once/call.ts) signs a nonce derived from that key (nonce.ts), so the
 * token contract settles it at most once whatever n8n remembers. Within one execution the ledger
 * (ledger.ts, n8n's node context) gives an answered call back instead of paying it again and never
 * signs a call twice; two items of one call in one run go one after the other. A call that may
 * have been tried before (a Retry, an Idempotency Key, a worker that died) is read from the chain
 * first (alreadyPaid.ts) and never signed again once its nonce is used.
 */

import type { ChainReader } from '../chain';
import type { PaymentAttempt } from '../protocol/payment';
import type { Wallet } from '../wallet/credential';
import { AlreadyPaidRead } from './alreadyPaid';
import type { PaymentCall } from './call';
import { memoryLedger, type ItemLedger, type LedgerEntry } from './ledger';
import { nonceFor, nonceSecret, randomNonce } from './nonce';

export type { PaymentCall } from './call';
export { contextLedger, memoryLedger, type ItemLedger, type LedgerEntry } from './ledger';

export class PaidOnce {
	readonly alreadyPaid: AlreadyPaidRead;
	private readonly ledger: ItemLedger;
	private secret?: Buffer;
	/** The calls of this run in progress, by payment key: a second item of a call waits for the first. */
	private readonly inProgress = new Map<string, Promise<unknown>>();

	constructor(
		private readonly wallet: Wallet,
		reader: () => Promise<ChainReader>,
		payer: () => Promise<`0x${string}`>,
		ledger?: ItemLedger,
	) {
		this.ledger = ledger ?? memoryLedger();
		this.alreadyPaid = new AlreadyPaidRead(reader, payer, wallet);
	}

	/** The nonce every try of this call signs (random for a request without a call). */
	nonceOf(call: PaymentCall | undefined): `0x${string}` {
		if (!call) return randomNonce();
		this.secret ??= nonceSecret(this.wallet.privateKey);
		return nonceFor(this.secret, call.key);
	}

	/**
	 * Calls of this run that may have been tried before: their nonces are read from the chain now,
	 * in batched requests alongside the first quote, so that no item waits for its own read.
	 */
	expect(calls: PaymentCall[]): void {
		this.alreadyPaid.expect(calls.filter((c) => c.mayRepeat).map((c) => this.nonceOf(c)));
	}

	/**
	 * Runs `work` for one call, after any other item of the same call in this run, unless this
	 * execution already has its answer: then `earlier` makes the outputs from what `answered` kept.
	 */
	async once<T>(
		call: PaymentCall,
		work: () => Promise<T[]>,
		earlier: (outputs: Array<Record<string, unknown>>) => T[],
	): Promise<T[]> {
		const before = this.inProgress.get(call.key);
		const mine = (async () => {
			if (before) await before.catch(() => undefined);
			const entry = this.ledger.get(call.key);
			return entry?.state === 'done' ? earlier(entry.outputs) : await work();
		})();
		this.inProgress.set(call.key, mine);
		return await mine;
	}

	/** What this execution already signed for the call (Retry On Fail runs the same calls again). */
	triedEarlier(call: PaymentCall | undefined): LedgerEntry | undefined {
		return call ? this.ledger.get(call.key) : undefined;
	}

	/** From here on the signature may leave this machine: the call is never signed again here. */
	signed(call: PaymentCall | undefined, attempt: PaymentAttempt): void {
		if (call) this.ledger.set(call.key, { state: 'signed', attempt });
	}

	/** Paid and answered: a retry of the call in this execution gets these outputs back. */
	answered(
		call: PaymentCall | undefined,
		attempt: PaymentAttempt,
		outputs: Array<Record<string, unknown>>,
	): void {
		if (call) this.ledger.set(call.key, { state: 'done', attempt, outputs });
	}
}
