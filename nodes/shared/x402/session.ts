/**
 * One paid JSON request, safely:
 * unpaid request -> 402 quote -> (already paid?) -> policy -> budget -> funds -> sign -> paid
 * request -> answer + receipt.
 * Never retries a paid request. Every try of one call signs the call's derived nonce, so the
 * chain settles it at most once; a call that may have been tried before is checked on-chain
 * first and never signed again once its nonce is used. In one execution, a call already signed
 * is never signed again (the ledger). Anything failing after the signature left this machine
 * becomes a PaymentError carrying the payment facts and the on-chain verdict. Before a payment
 * header leaves, and again with the verdict, the journal gets a record (n8n's log, in the nodes).
 *
 * A session lives for one node run: it holds the quote cache, the balance check and the
 * lazily loaded signer. The budget spans the node's runs in one execution. Nothing is
 * shared between executions.
 */

import { resultOf } from '../errors';
import type { HttpFn } from '../http';
import { REQUEST_TIMEOUT_MS } from '../limits';
import { redactUrl } from '../urls';
import { bodyExcerpt, gatewayError, GatewayError, reasonOf } from './answers';
import type { PaymentCall, PaymentEvent, PaymentJournal } from './once/call';
import { Funds } from './controls/balance';
import type { ItemLedger } from './once/ledger';
import { formatUsdc } from './protocol/money';
import { nonceFor, nonceSecret, randomNonce } from './once/nonce';
import { chainReader, settlementOf, type ChainReader } from './chain/reader';
import { PaymentError, type PaymentAttempt } from './protocol/payment';
import { Budget, PolicyError, selectRequirement, type PaymentLimits } from './controls/policy';
import { QuoteCache, type QuoteOutcome } from './quoteCache';
import { RepeatCheck } from './once/alreadyPaid';
import { DailyLimit, type LimitFacts } from './wallet/history';
import { buildReceipt, type Receipt } from './receipt';
import { Signer, type SignedPayment } from './signer';
import type { Wallet } from './wallet/credential';
import { walletFacts, type WalletFacts } from './wallet/facts';
import { parseQuote, parseSettlementClaim, type Quote } from './protocol/wire';

export interface PaidRequest {
	url: string;
	body: unknown;
	headers?: Record<string, string>;
	/** Deadline of each request (unpaid and paid), body included. */
	timeoutMs?: number;
	limits?: PaymentLimits;
	/**
	 * The paid call this request is a try of: its nonce is derived from the call's key. Without
	 * one (tests, the benchmark's floor) the nonce is random and the call can never be recognised
	 * again.
	 */
	call?: PaymentCall;
}

export interface PaidAnswer {
	status: number;
	headers: Record<string, string>;
	body: unknown;
	/** Absent when the service answered without asking for payment. */
	receipt?: Receipt;
}

export interface PaymentSessionOptions {
	http: HttpFn;
	/**
	 * For read-only chain checks; defaults to `http`. Give one that survives a cancel, so a verdict
	 * can still be read.
	 */
	rpcHttp?: HttpFn;
	wallet: Wallet;
	budget?: Budget;
	/** Check the USDC balance before paying (needs the RPC; skipped if it fails). */
	checkBalance?: boolean;
	/** What this execution already signed, per call (n8n's node context in the nodes). */
	ledger?: ItemLedger;
	/**
	 * Told before a payment header leaves and when its verdict is known (never throws into the
	 * payment).
	 */
	journal?: PaymentJournal;
	now?: () => number;
}

export class PaymentSession {
	readonly budget: Budget;
	private readonly http: HttpFn;
	private readonly rpcHttp: HttpFn;
	private readonly wallet: Wallet;
	private readonly now: () => number;
	private readonly quotes: QuoteCache;
	private readonly funds?: Funds;
	/** The credential's Max Spend per 24 Hours, when set. */
	private readonly daily?: DailyLimit;
	private readonly ledger?: ItemLedger;
	private readonly journal?: PaymentJournal;
	private secret?: Buffer;
	/** Whether calls that may have been tried before were paid (the chain's word on their nonces). */
	private readonly repeats: RepeatCheck;
	private signer?: Promise<Signer>;
	private reader?: Promise<ChainReader>;
	private facts?: Promise<WalletFacts>;

	constructor(options: PaymentSessionOptions) {
		this.http = options.http;
		this.rpcHttp = options.rpcHttp ?? options.http;
		this.wallet = options.wallet;
		this.budget = options.budget ?? new Budget();
		this.now = options.now ?? Date.now;
		this.ledger = options.ledger;
		this.journal = options.journal;
		this.quotes = new QuoteCache(this.now);
		this.repeats = new RepeatCheck(
			async () => await this.getReader(),
			async () => await this.payer(),
			this.wallet,
		);
		if (this.wallet.dailyLimitAtomic !== undefined) {
			this.daily = new DailyLimit(this.wallet.dailyLimitAtomic, this.wallet.network, async () => ({
				reader: await this.getReader(),
				address: await this.payer(),
			}));
		}
		if (options.checkBalance ?? true) {
			this.funds = new Funds(
				async () => await (await this.getReader()).usdcBalance(await this.payer()),
				this.wallet.network.label,
			);
		}
	}

	/** The payer address (derives the account; loads the signing stack on first use). */
	async payer(): Promise<`0x${string}`> {
		return (await this.getSigner()).address;
	}

	/**
	 * Who pays and what it holds (read once per session): what the credential test finds, for the Dry
	 * Run output.
	 */
	walletFacts(): Promise<WalletFacts> {
		this.facts ??= (async () =>
			await walletFacts(await this.payer(), async () => await this.getReader()))();
		return this.facts;
	}

	/**
	 * The daily limit as it stands for this run (Dry Run): undefined without a limit, an Error when
	 * the chain could not be read.
	 */
	async dailyLimitFacts(): Promise<LimitFacts | Error | undefined> {
		if (!this.daily) return undefined;
		const read = await resultOf(this.daily.facts());
		return read.ok ? read.value : (read.error as Error);
	}

	/** Sends the request unpaid and returns the quote without signing anything. */
	async quote(request: PaidRequest): Promise<QuoteOutcome> {
		return await this.unpaidRequest(request);
	}

	/** The nonce every try of this call signs (random for a request without a call). */
	nonceOf(call: PaymentCall | undefined): `0x${string}` {
		if (!call) return randomNonce();
		this.secret ??= nonceSecret(this.wallet.privateKey);
		return nonceFor(this.secret, call.key);
	}

	/**
	 * Calls of this run that may have been tried before: their nonces are read from the chain
	 * now, in batched requests alongside the first quote, so that no item waits for its own read.
	 */
	expectRepeats(calls: PaymentCall[]): void {
		this.repeats.expect(calls.filter((c) => c.mayRepeat).map((c) => this.nonceOf(c)));
	}

	async pay(request: PaidRequest): Promise<PaidAnswer> {
		const call = request.call;
		const earlier = call ? this.ledger?.get(call.key) : undefined;
		if (earlier) {
			// n8n's Retry On Fail runs the node again with the same items: this call was signed for already.
			throw await this.afterSigning(
				'This call was already signed for in an earlier try of this execution (Retry On Fail), so it is not signed or sent again',
				earlier.attempt ?? missingAttempt(),
				{ call },
			);
		}
		const nonce = this.nonceOf(call);
		// The balance read, the signing code and (for a call that may have been tried before) the
		// chain's word on its nonce all start while the unpaid request is on its way.
		this.funds?.prefetch();
		this.daily?.prefetch();
		this.getSigner().catch(() => undefined);
		const usedBefore = call?.mayRepeat ? resultOf(this.repeats.used(nonce)) : undefined;
		const { outcome, reused } = await this.quotes.get(
			request.url,
			async () => await this.unpaidRequest(request),
		);
		if (outcome.kind === 'answer') return { ...outcome.response };
		// A used nonce can never move money again: report the earlier payment instead of signing.
		// An RPC that cannot answer leaves the chain to refuse a second settlement of the nonce.
		const used = await usedBefore;
		if (used?.ok && used.value && call) {
			const report = await this.repeats.alreadyPaid(call, nonce);
			this.record({ kind: 'already paid', call, earlier: report.earlier });
			throw report;
		}
		return await this.payWithQuote(request, outcome.quote, reused, nonce);
	}

	private async unpaidRequest(request: PaidRequest): Promise<QuoteOutcome> {
		const sent = await resultOf(
			this.http({
				method: 'POST',
				url: request.url,
				headers: request.headers,
				body: request.body,
				timeoutMs: request.timeoutMs ?? REQUEST_TIMEOUT_MS,
			}),
		);
		if (!sent.ok) {
			throw new GatewayError(
				`Could not get an answer from ${redactUrl(request.url)}: ${messageOf(sent.error)}`,
				{
					hint: 'Check the Endpoint URL and the network connection of your n8n instance.',
				},
			);
		}
		const response = sent.value;
		if (response.status === 402)
			return { kind: 'quote', quote: parseQuote(response, request.url, this.now()) };
		if (response.status >= 200 && response.status < 300) return { kind: 'answer', response };
		throw gatewayError(response);
	}

	/** Pays one quote: one signature, one paid request, never a second of either for this try. */
	private async payWithQuote(
		request: PaidRequest,
		quote: Quote,
		reused: boolean,
		nonce: `0x${string}`,
	): Promise<PaidAnswer> {
		const requirement = selectRequirement(quote, this.wallet, request.limits ?? {});
		const amount = requirement.amountAtomic;
		if (!this.budget.reserve(amount)) {
			const limit = formatUsdc(this.budget.limitAtomic ?? 0n);
			throw new PolicyError(
				'budget',
				requirement,
				`paying ${formatUsdc(amount)} USDC would bring this execution's spending to ${formatUsdc(this.budget.spentAtomic + amount)} USDC, over the budget of ${limit} USDC`,
				limit,
			);
		}
		const funded = await resultOf(async () => await this.funds?.reserve(amount));
		if (!funded.ok) {
			this.budget.release(amount);
			throw funded.error;
		}
		const held = await resultOf(async () => await this.daily?.reserve(amount));
		if (!held.ok) {
			this.funds?.release(amount);
			this.budget.release(amount);
			throw held.error;
		}
		const hold = held.value;
		const signing = await resultOf(
			async () =>
				await (await this.getSigner()).sign(quote, requirement, this.wallet, this.now(), nonce),
		);
		if (!signing.ok) {
			// Nothing left this machine: give the holds back.
			if (hold) this.daily?.release(hold);
			this.funds?.release(amount);
			this.budget.release(amount);
			throw signing.error;
		}
		const signed = signing.value;
		const validBefore = Number(signed.attempt.validBefore);
		if (hold) this.daily?.signed(hold, { validBefore });
		// From here on the signature may leave this machine: no path signs again for this call in
		// this execution, its amount stays counted in the budget, and any failure carries the
		// payment facts. The log line goes out before the payment header does.
		if (request.call)
			this.ledger?.set(request.call.key, { state: 'signed', attempt: signed.attempt });
		this.record({ kind: 'signed', call: request.call, attempt: signed.attempt });
		const outcome = await resultOf(this.sendPaid(request, signed, reused));
		if (hold) {
			// The daily limit keeps counting this payment until the chain shows its transaction.
			const receipt = outcome.ok ? outcome.value.receipt : undefined;
			const error = outcome.ok ? undefined : outcome.error;
			const transaction =
				receipt?.transactionOnChain === 'success'
					? receipt.transaction
					: error instanceof PaymentError
						? error.transaction
						: undefined;
			this.daily?.signed(hold, { validBefore, transaction });
		}
		if (outcome.ok) {
			const receipt = outcome.value.receipt;
			if (receipt)
				this.record({
					kind: 'settled',
					call: request.call,
					attempt: signed.attempt,
					settlement: receipt.settlement,
					transaction: receipt.transaction,
					outcome: 'answered',
				});
			return outcome.value;
		}
		if (outcome.error instanceof PaymentError) throw outcome.error;
		throw await this.afterSigning(
			`Unexpected failure after signing: ${messageOf(outcome.error)}`,
			signed.attempt,
			{ call: request.call },
		);
	}

	private async sendPaid(
		request: PaidRequest,
		signed: SignedPayment,
		reused: boolean,
	): Promise<PaidAnswer> {
		const sent = await resultOf(
			this.http({
				method: 'POST',
				url: request.url,
				headers: { ...(request.headers ?? {}), ...signed.headers },
				body: request.body,
				timeoutMs: request.timeoutMs ?? REQUEST_TIMEOUT_MS,
			}),
		);
		if (!sent.ok)
			throw await this.afterSigning(
				`The paid request failed: ${messageOf(sent.error)}`,
				signed.attempt,
				{ call: request.call },
			);
		const response = sent.value;
		if (response.status === 402) {
			const serverReason = parseSettlementClaim(response)?.errorReason ?? reasonOf(response);
			let reason = `The service refused the payment (HTTP 402${serverReason ? `: ${serverReason}` : ''})`;
			if (reused) {
				// The item fails rather than signing again (its refused signature stays valid until it
				// expires); later items of this session ask for their own quote.
				this.quotes.stopReuse(request.url);
				reason += '. It was signed for a reused quote; later items ask for a fresh one';
			}
			throw await this.afterSigning(reason, signed.attempt, {
				httpStatus: 402,
				serverReason,
				call: request.call,
			});
		}
		if (response.status < 200 || response.status >= 300) {
			throw await this.afterSigning(
				`The service answered HTTP ${response.status} to the paid request${bodyExcerpt(response)}`,
				signed.attempt,
				{
					httpStatus: response.status,
					serverReason: reasonOf(response),
					call: request.call,
				},
			);
		}
		if (!response.body || typeof response.body !== 'object') {
			throw await this.afterSigning(
				`The service answered the paid request with something that is not JSON${bodyExcerpt(response)}`,
				signed.attempt,
				{
					httpStatus: response.status,
					call: request.call,
				},
			);
		}
		const receipt = await buildReceipt(
			response,
			signed.attempt,
			() => this.getReader(),
			this.wallet.network,
			reused,
			this.wallet.rpcUrl,
		);
		return { status: response.status, headers: response.headers, body: response.body, receipt };
	}

	/**
	 * The error for a failure after signing, with the chain's settlement (and, when charged, the
	 * transaction that used the nonce: this try's or an earlier try's of the same call, which
	 * share it). Never throws.
	 */
	async afterSigning(
		reason: string,
		attempt: PaymentAttempt,
		extra: { httpStatus?: number; serverReason?: string; call?: PaymentCall } = {},
	): Promise<PaymentError> {
		// The budget keeps the reservation whatever the verdict: "not charged" is a snapshot,
		// and the signed authorization could still be settled until it expires.
		const { settlement, checkedAt } = await settlementOf(
			() => this.getReader(),
			attempt.payer as `0x${string}`,
			attempt.nonce as `0x${string}`,
		);
		const transaction =
			settlement === 'charged'
				? await this.repeats.transactionOf(
						attempt.payer as `0x${string}`,
						attempt.nonce as `0x${string}`,
					)
				: undefined;
		const { call, ...facts } = extra;
		this.record({ kind: 'settled', call, attempt, settlement, transaction, outcome: reason });
		return new PaymentError({ reason, attempt, settlement, checkedAt, transaction, ...facts });
	}

	/** Hands an event to the journal; a journal that fails never fails the payment. */
	private record(event: PaymentEvent): void {
		try {
			this.journal?.(event);
		} catch {
			// The payment's own report still carries every fact.
		}
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

function missingAttempt(): PaymentAttempt {
	return {
		payer: 'unknown',
		payTo: 'unknown',
		network: 'unknown',
		asset: 'unknown',
		amountAtomic: '0',
		amountUsdc: '0',
		nonce: 'unknown',
		validBefore: '0',
		x402Version: 0,
	};
}

function messageOf(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}
