import { NanoBananaError, paymentError, type ChargeVerdict, type PaymentAttempt } from '../errors';
import type { HttpFn, HttpResponse } from '../http';
import { formatUsdc } from './money';
import { chainReader, chargeVerdict, type ChainReader } from './onchain';
import { Budget, policyRefusal, selectRequirement, type PaymentLimits } from './policy';
import { parseQuote, parseSettlement, type Quote, type Requirement } from './quote';
import type { Wallet } from './wallet';

/**
 * One paid JSON request, safely:
 *   request -> 402 quote -> policy -> budget -> balance -> sign -> paid request -> answer + receipt.
 * Never retries a paid request. Anything failing after the signature left this
 * machine becomes a "payment" error carrying the on-chain verdict.
 *
 * A session lives for one node execution: it holds the quote cache, the budget,
 * the lazily built x402 client and the balance read. Nothing is shared between executions.
 */
export interface PaidRequest {
	url: string;
	body: unknown;
	headers?: Record<string, string>;
	timeoutMs?: number;
	limits?: PaymentLimits;
}

export interface Receipt {
	x402Version: number;
	network: string;
	asset: string;
	amountAtomic: string;
	amountUsdc: string;
	payer: string;
	payTo: string;
	nonce: string;
	transaction: string | null;
	explorerUrl: string | null;
	/** "settled" when the server's settlement header says so; otherwise the on-chain verdict. */
	settlement: 'settled' | ChargeVerdict;
	quoteReused: boolean;
}

export interface PaidAnswer {
	status: number;
	headers: Record<string, string>;
	body: unknown;
	/** Absent when the service answered without asking for payment. */
	receipt?: Receipt;
	quote?: Quote;
}

export interface PaymentSessionOptions {
	http: HttpFn;
	/** For read-only chain checks; defaults to `http`. Give one that survives a cancel, so a verdict can still be read. */
	rpcHttp?: HttpFn;
	wallet: Wallet;
	budget?: Budget;
	/** Check the USDC balance once before the first payment (needs the RPC; skipped if it fails). */
	checkBalance?: boolean;
	now?: () => number;
}

type QuoteOutcome = { kind: 'quote'; quote: Quote } | { kind: 'answer'; response: HttpResponse };

type Signer = Awaited<ReturnType<typeof buildSigner>>;

const DEFAULT_TIMEOUT_MS = 120_000;
/** A quote is reused for at most this long, and never longer than its own maxTimeoutSeconds. */
const QUOTE_REUSE_MS = 120_000;

export class PaymentSession {
	private readonly http: HttpFn;
	private readonly rpcHttp: HttpFn;
	private readonly wallet: Wallet;
	readonly budget: Budget;
	private readonly now: () => number;
	private readonly checkBalance: boolean;
	private signer?: Promise<Signer>;
	private reader?: Promise<ChainReader>;
	private balance?: Promise<bigint | undefined>;
	/** Per endpoint URL: the last quote, or the unpaid request that will produce it. */
	private readonly quotes = new Map<string, Promise<QuoteOutcome>>();
	/** Off for the rest of the session once the server refuses a reused quote. */
	private reuseQuotes = true;

	constructor(options: PaymentSessionOptions) {
		this.http = options.http;
		this.rpcHttp = options.rpcHttp ?? options.http;
		this.wallet = options.wallet;
		this.budget = options.budget ?? new Budget();
		this.now = options.now ?? Date.now;
		this.checkBalance = options.checkBalance ?? true;
	}

	/** The payer address (derives the account; loads the signing stack on first use). */
	async payer(): Promise<`0x${string}`> {
		return (await this.getSigner()).address;
	}

	/** Sends the request unpaid and returns the quote without signing anything. */
	async quote(request: PaidRequest): Promise<QuoteOutcome> {
		return await this.unpaidRequest(request);
	}

	async pay(request: PaidRequest): Promise<PaidAnswer> {
		if (!this.reuseQuotes) return await this.payFresh(request);
		// Check-and-set in one synchronous step, so concurrent items share one unpaid request.
		let pending = this.quotes.get(request.url);
		const first = pending === undefined;
		if (!pending) {
			pending = this.unpaidRequest(request);
			this.quotes.set(request.url, pending);
		}
		let outcome: QuoteOutcome;
		try {
			outcome = await pending;
		} catch (error) {
			if (this.quotes.get(request.url) === pending) this.quotes.delete(request.url);
			// Another item's unpaid request failed (its own problem): make our own.
			if (!first) return await this.payFresh(request);
			return Promise.reject(error);
		}
		if (outcome.kind === 'answer') {
			if (this.quotes.get(request.url) === pending) this.quotes.delete(request.url);
			return first ? { ...outcome.response } : await this.payFresh(request);
		}
		if (!first && this.expired(outcome.quote)) {
			if (this.quotes.get(request.url) === pending) this.quotes.delete(request.url);
			return await this.payFresh(request);
		}
		return await this.payWithQuote(request, outcome.quote, !first);
	}

	/** One unpaid request of our own, then payment; a refusal here is final. */
	private async payFresh(request: PaidRequest): Promise<PaidAnswer> {
		const pending = this.unpaidRequest(request);
		this.quotes.set(request.url, pending);
		const outcome = await pending;
		if (outcome.kind === 'answer') return { ...outcome.response };
		return await this.payWithQuote(request, outcome.quote, false);
	}

	private expired(quote: Quote): boolean {
		const ttl = Math.min(QUOTE_REUSE_MS, Math.min(...quote.accepts.map((a) => a.maxTimeoutSeconds)) * 1000);
		return this.now() - quote.receivedAt > ttl;
	}

	private async unpaidRequest(request: PaidRequest): Promise<QuoteOutcome> {
		let response: HttpResponse;
		try {
			response = await this.http({
				method: 'POST',
				url: request.url,
				headers: request.headers,
				body: request.body,
				timeoutMs: request.timeoutMs ?? DEFAULT_TIMEOUT_MS,
			});
		} catch (error) {
			return Promise.reject(
				new NanoBananaError(
					'http',
					`Could not reach ${request.url}: ${(error as Error).message}. Nothing was signed or paid.`,
					'Check the Endpoint URL and the network connection of your n8n instance.',
				),
			);
		}
		if (response.status === 402) return { kind: 'quote', quote: parseQuote(response, request.url, this.now()) };
		if (response.status >= 200 && response.status < 300) return { kind: 'answer', response };
		return Promise.reject(gatewayError(response, 'before any payment', 'Nothing was signed or paid.'));
	}

	/** Pays one quote: one signature, one paid request, never a second of either for this request. */
	private async payWithQuote(request: PaidRequest, quote: Quote, reused: boolean): Promise<PaidAnswer> {
		const requirement = selectRequirement(quote, this.wallet, request.limits ?? {});
		if (!this.budget.reserve(requirement.amountAtomic)) {
			throw policyRefusal(
				'budget',
				requirement,
				`paying ${formatUsdc(requirement.amountAtomic)} USDC would bring this execution's spending to ${formatUsdc(
					this.budget.spentAtomic + requirement.amountAtomic,
				)} USDC, over the budget of ${formatUsdc(this.budget.limitAtomic ?? 0n)} USDC`,
				formatUsdc(this.budget.limitAtomic ?? 0n),
			);
		}
		let signed: { headers: Record<string, string>; attempt: PaymentAttempt };
		try {
			await this.ensureFunds(requirement);
			signed = await this.sign(quote, requirement);
		} catch (error) {
			this.budget.release(requirement.amountAtomic);
			return Promise.reject(error);
		}
		// From here on the signature has left this machine: no path may sign again for this request,
		// and its amount stays counted in the budget.
		let response: HttpResponse;
		try {
			response = await this.http({
				method: 'POST',
				url: request.url,
				headers: { ...(request.headers ?? {}), ...signed.headers },
				body: request.body,
				timeoutMs: request.timeoutMs ?? DEFAULT_TIMEOUT_MS,
			});
		} catch (error) {
			return Promise.reject(await this.afterSigning(`The paid request failed: ${(error as Error).message}`, signed.attempt));
		}
		const settlement = parseSettlement(response);
		if (response.status === 402) {
			const serverReason = settlement?.errorReason ?? reasonOf(response);
			let reason = `The service refused the payment (HTTP 402${serverReason ? `: ${serverReason}` : ''})`;
			if (reused) {
				// The item fails rather than signing again (its refused signature stays valid until it
				// expires); later items of this session ask for their own quote.
				this.reuseQuotes = false;
				this.quotes.delete(request.url);
				reason += '. It was signed for a reused quote; later items ask for a fresh one';
			}
			throw await this.afterSigning(reason, signed.attempt, { httpStatus: 402, serverReason });
		}
		if (response.status < 200 || response.status >= 300) {
			throw await this.afterSigning(`The service answered HTTP ${response.status} to the paid request${excerptOf(response)}`, signed.attempt, {
				httpStatus: response.status,
				serverReason: reasonOf(response),
			});
		}
		if (!response.body || typeof response.body !== 'object') {
			throw await this.afterSigning(`The service answered the paid request with something that is not JSON${excerptOf(response)}`, signed.attempt, {
				httpStatus: response.status,
			});
		}
		let settlementState: Receipt['settlement'] = 'settled';
		if (!settlement?.success) {
			const { verdict } = await chargeVerdict(() => this.getReader(), signed.attempt.payer as `0x${string}`, signed.attempt.nonce as `0x${string}`);
			settlementState = verdict;
		}
		const transaction = settlement?.transaction ?? null;
		return {
			status: response.status,
			headers: response.headers,
			body: response.body,
			quote,
			receipt: {
				x402Version: quote.x402Version,
				network: requirement.network,
				asset: requirement.asset,
				amountAtomic: requirement.amountAtomic.toString(),
				amountUsdc: formatUsdc(requirement.amountAtomic),
				payer: signed.attempt.payer,
				payTo: requirement.payTo,
				nonce: signed.attempt.nonce,
				transaction,
				explorerUrl: transaction ? `${this.wallet.network.explorerTxUrl}${transaction}` : null,
				settlement: settlementState,
				quoteReused: reused,
			},
		};
	}

	private async afterSigning(
		reason: string,
		attempt: PaymentAttempt,
		extra: { httpStatus?: number; serverReason?: string } = {},
	): Promise<NanoBananaError> {
		// The budget keeps the reservation whatever the verdict: "not charged" is a snapshot,
		// and the signed authorization could still be settled until it expires.
		const { verdict, checkedAt } = await chargeVerdict(() => this.getReader(), attempt.payer as `0x${string}`, attempt.nonce as `0x${string}`);
		return paymentError(reason, attempt, verdict, { ...extra, checkedAt });
	}

	private async ensureFunds(requirement: Requirement): Promise<void> {
		if (!this.checkBalance) return;
		this.balance ??= this.readBalance();
		const balance = await this.balance;
		if (balance === undefined) return;
		// The budget already holds this payment and every earlier one of this execution.
		const needed = this.budget.spentAtomic;
		if (balance < needed) {
			throw new NanoBananaError(
				'funds',
				`Insufficient USDC: the wallet holds ${formatUsdc(balance)} USDC, and this payment of ${formatUsdc(
					requirement.amountAtomic,
				)} USDC brings this execution to ${formatUsdc(needed)} USDC. Nothing was signed or paid.`,
				`Send USDC on ${this.wallet.network.label} to the wallet, then run again.`,
				{ balanceUsdc: formatUsdc(balance), priceUsdc: formatUsdc(requirement.amountAtomic), neededUsdc: formatUsdc(needed) },
			);
		}
	}

	private async readBalance(): Promise<bigint | undefined> {
		try {
			const reader = await this.getReader();
			return await reader.usdcBalance(await this.payer());
		} catch {
			return undefined;
		}
	}

	private getReader(): Promise<ChainReader> {
		this.reader ??= chainReader(this.rpcHttp, this.wallet.network, this.wallet.rpcUrl);
		return this.reader;
	}

	private getSigner(): Promise<Signer> {
		this.signer ??= buildSigner(this.wallet);
		return this.signer;
	}

	private async sign(quote: Quote, requirement: Requirement): Promise<{ headers: Record<string, string>; attempt: PaymentAttempt }> {
		const signer = await this.getSigner();
		// Hand the client exactly the one requirement the policy chose, so it cannot pick another.
		const paymentRequired = { ...quote.raw, accepts: [requirement.raw] };
		let payload: { x402Version: number; payload: Record<string, unknown> };
		try {
			payload = (await signer.client.createPaymentPayload(paymentRequired as never)) as typeof payload;
		} catch (error) {
			return Promise.reject(
				new NanoBananaError('policy', `The x402 client refused to sign: ${(error as Error).message}. Nothing was paid.`, undefined, {
					rule: 'x402 client',
				}),
			);
		}
		const authorization = (payload.payload?.authorization ?? {}) as Record<string, string>;
		// Belt and braces: what was signed must be exactly what the policy approved.
		if (
			authorization.to?.toLowerCase() !== requirement.payTo.toLowerCase() ||
			authorization.value !== requirement.amountAtomic.toString() ||
			authorization.from?.toLowerCase() !== signer.address.toLowerCase()
		) {
			return Promise.reject(
				new NanoBananaError('policy', 'The signed authorization does not match the approved quote; it was discarded and not sent. Nothing was paid.'),
			);
		}
		return {
			headers: signer.http.encodePaymentSignatureHeader(payload as never),
			attempt: {
				payer: signer.address,
				payTo: requirement.payTo,
				network: requirement.network,
				asset: requirement.asset,
				amountAtomic: requirement.amountAtomic.toString(),
				amountUsdc: formatUsdc(requirement.amountAtomic),
				nonce: authorization.nonce,
				validBefore: authorization.validBefore,
				x402Version: quote.x402Version,
			},
		};
	}
}

async function buildSigner(wallet: Wallet) {
	// Loaded on first payment only: n8n starts without the signing stack in memory.
	const [{ x402Client, x402HTTPClient }, { registerExactEvmScheme }, { privateKeyToAccount }] = await Promise.all([
		import('@x402/core/client'),
		import('@x402/evm/exact/client'),
		import('viem/accounts'),
	]);
	const account = privateKeyToAccount(wallet.privateKey);
	const client = new x402Client();
	registerExactEvmScheme(client, { signer: account, networks: [wallet.network.caip2] });
	// The library's own ceiling, as a second line behind our policy.
	client.setSpendControls({ maxAmountPerPayment: `$${formatUsdc(wallet.capAtomic)}` });
	return { address: account.address, client, http: new x402HTTPClient(client) };
}

function reasonOf(response: HttpResponse): string | undefined {
	const body = response.body as Record<string, unknown> | undefined;
	if (body && typeof body === 'object') {
		for (const key of ['error', 'message', 'errorReason', 'detail']) {
			if (typeof body[key] === 'string' && body[key]) return (body[key] as string).slice(0, 300);
		}
	}
	return undefined;
}

function excerptOf(response: HttpResponse): string {
	const text = typeof response.body === 'string' ? response.body : JSON.stringify(response.body ?? '');
	return text ? `: ${text.slice(0, 200)}` : '';
}

function gatewayError(response: HttpResponse, when: string, tail: string): NanoBananaError {
	const reason = reasonOf(response);
	return new NanoBananaError(
		'gateway',
		`The service answered HTTP ${response.status} ${when}${reason ? `: ${reason}` : excerptOf(response)}. ${tail}`,
		response.status === 400 || response.status === 422
			? 'The service rejected the request body: check the node parameters.'
			: response.status >= 500
				? 'The service has a problem; try again later.'
				: undefined,
		{ ...(reason ? { serverReason: reason } : {}) },
		response.status,
	);
}
