/**
 * The x402 client of one node run: any HTTP request, paid when the server asks, safely.
 *
 *   unpaid request → 402 quote → (paid before? once/) → the controls (controls/) choose and hold
 *   an offer → sign (signer.ts) → the paid request (paid.ts) → answer + receipt (receipt.ts)
 *
 * Never retries a paid request. Every try of one call signs the call's derived nonce, so the
 * chain settles it at most once; a call that may have been tried before is checked on-chain
 * first and never signed again once its nonce is used; in one execution a call already signed is
 * never signed again. Before a payment header leaves, and again with the verdict, the journal gets
 * a record (n8n's log, in the nodes).
 *
 * A session lives for one node run (quote cache, controls, chain reads, the lazily loaded signer);
 * the budget spans the node's runs in one execution. Nothing is shared between executions, but
 * what controls/dailyLimit.ts and wallet/history.ts keep per process (and say why).
 */

import { resultOf } from '../errors';
import type { HttpFn } from '../http';
import { chainReader, ChargeReads, type ChainReader } from './chain';
import {
	allowedRecipients,
	Balance,
	Budget,
	Controls,
	DailyLimit,
	priceCap,
	type Choice,
	type Control,
} from './controls';
import { requestControls } from './controls/request';
import type { LimitFacts } from './controls/dailyLimit';
import { record, type PaymentJournal } from './journal';
import { PaidOnce, type PaymentCall } from './once';
import { afterSigning, missingAttempt, sendPaid } from './paid';
import type { PaidAnswer, PaidRequest, PaymentSessionOptions } from './request';
import type { PaymentAttempt, PaymentError } from './protocol/payment';
import type { Quote } from './protocol/wire';
import { QuoteCache, signInFirst, unpaidRequest, type QuoteOutcome } from './unpaid';
import { Signer } from './signer';
import type { Wallet } from './wallet/credential';
import { walletFacts, type WalletFacts } from './wallet/facts';

export type { PaidAnswer, PaidRequest, PaymentLimits, PaymentSessionOptions } from './request';

export class PaymentSession {
	readonly budget: Budget;
	/** Paid once per call: the operations run each call through it. */
	readonly once: PaidOnce;
	private readonly http: HttpFn;
	private readonly rpcHttp: HttpFn;
	private readonly wallet: Wallet;
	private readonly now: () => number;
	private readonly quotes: QuoteCache;
	private readonly journal?: PaymentJournal;
	/** The controls every payment of the run passes, after the request's own. */
	private readonly credentialControls: Control[];
	private readonly runControls: Control[];
	private readonly daily?: DailyLimit;
	private readonly charges: ChargeReads;
	private signer?: Promise<Signer>;
	private reader?: Promise<ChainReader>;
	private facts?: Promise<WalletFacts>;

	constructor(options: PaymentSessionOptions) {
		this.http = options.http;
		this.rpcHttp = options.rpcHttp ?? options.http;
		this.wallet = options.wallet;
		this.budget = options.budget ?? new Budget();
		this.now = options.now ?? Date.now;
		this.journal = options.journal;
		this.quotes = new QuoteCache(this.now);
		const reader = async () => await this.getReader();
		const payer = async () => await this.payer();
		this.once = new PaidOnce(this.wallet, reader, payer, options.ledger);
		this.charges = new ChargeReads(reader);
		if (this.wallet.dailyLimitAtomic !== undefined) {
			this.daily = new DailyLimit(this.wallet.dailyLimitAtomic, this.wallet.network, async () => ({
				reader: await reader(),
				address: await payer(),
			}));
		}
		// What the credential sets (only its owner can widen it), then what holds money for the run.
		this.credentialControls = [
			priceCap(this.wallet.capAtomic, 'Max Payment per Request in the credential'),
			...(this.wallet.allowedPayTo ? [allowedRecipients(this.wallet.allowedPayTo)] : []),
		];
		this.runControls = [
			this.budget,
			...((options.checkBalance ?? true)
				? [
						new Balance(
							async () => await (await reader()).usdcBalance(await payer()),
							this.wallet.network.label,
						),
					]
				: []),
			...(this.daily ? [this.daily] : []),
		];
	}

	/** The payer address (derives the account; loads the signing stack on first use). */
	async payer(): Promise<`0x${string}`> {
		return (await this.getSigner()).address;
	}

	/** Who pays and what it holds (read once per session), for Dry Run. */
	walletFacts(): Promise<WalletFacts> {
		this.facts ??= (async () =>
			await walletFacts(await this.payer(), async () => await this.getReader()))();
		return this.facts;
	}

	/** The daily limit as it stands: undefined without one, an Error when it could not be read. */
	async dailyLimitFacts(): Promise<LimitFacts | Error | undefined> {
		if (!this.daily) return undefined;
		const read = await resultOf(this.daily.facts());
		return read.ok ? read.value : (read.error as Error);
	}

	/**
	 * Sends the request unpaid and, for a 402, asks every control what it would answer: the paying
	 * run's verdict in its words, with nothing held or signed (Dry Run, Get Price).
	 */
	async preview(request: PaidRequest): Promise<{ outcome: QuoteOutcome; choice?: Choice }> {
		const controls = this.controlsFor(request);
		controls.prefetch();
		const outcome = await unpaidRequest(this.http, request, this.now());
		if (outcome.kind === 'answer') return { outcome };
		return { outcome, choice: await controls.choose(outcome.quote) };
	}

	async pay(request: PaidRequest): Promise<PaidAnswer> {
		const call = request.call;
		const earlier = this.once.triedEarlier(call);
		if (earlier) {
			// n8n's Retry On Fail runs the node again with the same items: this call was signed for.
			throw await this.afterSigning(
				'This call was already signed for in an earlier try of this execution (Retry On Fail), so it is not signed or sent again',
				earlier.attempt ?? missingAttempt(),
				call,
			);
		}
		const nonce = this.once.nonceOf(call);
		// The controls' reads, the signing code and (for a call that may have been tried before) the
		// chain's word on its nonce all start while the unpaid request is on its way.
		const controls = this.controlsFor(request);
		controls.prefetch();
		this.getSigner().catch(() => undefined);
		const usedBefore = call?.mayRepeat ? resultOf(this.once.alreadyPaid.used(nonce)) : undefined;
		const { outcome, reused } = await this.quotes.get(
			`${request.method ?? 'POST'} ${request.url}`,
			async () => await unpaidRequest(this.http, request, this.now()),
		);
		if (outcome.kind === 'answer') return { ...outcome.response };
		// A sign-in offered (sign-in-with-x) comes before any payment: a wallet that paid before is let in.
		const entered = await signInFirst(
			this.http,
			async (challenge) => await (await this.getSigner()).signIn(challenge),
			request,
			outcome.quote,
			this.wallet.network.chainId,
			this.now(),
		);
		if (entered.kind === 'answer') return { ...entered.response };
		// A used nonce can never move money again: report the earlier payment instead of signing.
		// An RPC that cannot answer leaves the chain to refuse a second settlement of the nonce.
		const used = await usedBefore;
		if (used?.ok && used.value && call) {
			const report = await this.once.alreadyPaid.report(call, nonce);
			record(this.journal, { kind: 'already paid', call, earlier: report.earlier });
			throw report;
		}
		const fresh = entered.quote !== outcome.quote;
		return await this.payQuote(request, controls, entered.quote, reused && !fresh, nonce);
	}

	/** One signature, one paid request, never a second of either for this try. */
	private async payQuote(
		request: PaidRequest,
		controls: Controls,
		quote: Quote,
		reused: boolean,
		nonce: `0x${string}`,
	): Promise<PaidAnswer> {
		const choice = await controls.choose(quote);
		if (choice.refusal || !choice.offer) throw choice.refusal;
		const holds = await controls.hold(choice.offer);
		const offer = choice.offer;
		const signing = await resultOf(
			async () => await (await this.getSigner()).sign(quote, offer, this.wallet, this.now(), nonce),
		);
		if (!signing.ok) {
			holds.release(); // nothing left this machine
			throw signing.error;
		}
		const signed = signing.value;
		holds.signed({ validBefore: Number(signed.attempt.validBefore) });
		// From here on the signature may leave this machine: no path signs again for this call in
		// this execution, the holds stay counted, and any failure carries the payment facts. The log
		// line goes out before the payment header does.
		this.once.signed(request.call, signed.attempt);
		record(this.journal, { kind: 'signed', call: request.call, attempt: signed.attempt });
		return await sendPaid(request, signed, reused, holds, {
			http: this.http,
			wallet: this.wallet,
			charges: this.charges,
			quotes: this.quotes,
			journal: this.journal,
			afterSigning: async (reason, extra) =>
				await this.afterSigning(reason, signed.attempt, request.call, extra),
		});
	}

	/** The error for a failure after signing, with the chain's verdict. Never throws. */
	async afterSigning(
		reason: string,
		attempt: PaymentAttempt,
		call?: PaymentCall,
		extra: { httpStatus?: number; serverReason?: string } = {},
	): Promise<PaymentError> {
		return await afterSigning(reason, attempt, {
			reader: async () => await this.getReader(),
			journal: this.journal,
			call,
			...extra,
		});
	}

	/** The controls of one request, in the order they are asked (controls/request.ts). */
	private controlsFor(request: PaidRequest): Controls {
		const list = requestControls(this.wallet, request, this.credentialControls, this.runControls);
		return new Controls(this.wallet.network, list);
	}

	private getReader(): Promise<ChainReader> {
		this.reader ??= chainReader(this.rpcHttp, this.wallet.network, this.wallet.rpcUrl);
		return this.reader;
	}

	private getSigner(): Promise<Signer> {
		this.signer ??= Signer.load(this.wallet);
		return this.signer;
	}
}
