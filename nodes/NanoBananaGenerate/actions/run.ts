/**
 * One run of Generate: what every item of the run shares (the wallet, the payment session,
 * the budget, the ledger, which call each item is), created per execution and never global;
 * and what each item asks for, validated before anything is sent.
 */

import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import {
	buildGenerateBody,
	defaultHosts,
	DOPAMINT_ENDPOINT,
	type GenerateBody,
} from '../../shared/dopamint';
import { InputError } from '../../shared/errors';
import { n8nHttp, type HttpFn } from '../../shared/http';
import { isToolRun } from '../../shared/items';
import { REQUEST_TIMEOUT_MS } from '../../shared/limits';
import { checkUrl, originRule, parseHostList, type HostRule } from '../../shared/urls';
import { binaryField, notFromModel, numberWithin, wholeNumber } from '../../shared/validate';
import type { PaymentCall, PaymentEvent } from '../../shared/x402/once/call';
import { contextLedger, type ItemLedger } from '../../shared/x402/once/ledger';
import { formatUsdc, parseUsdc } from '../../shared/x402/protocol/money';
import { isoFromSeconds } from '../../shared/x402/protocol/payment';
import { Budget, type PaymentLimits } from '../../shared/x402/controls/policy';
import { PaymentSession } from '../../shared/x402/session';
import { walletFromCredential, type Wallet } from '../../shared/x402/wallet/credential';
import { callScope, readIdempotencyKey, type CallScope } from '../../shared/paymentKeys';

/**
 * Where the spending of this node is kept between its runs in one execution (loops): n8n's
 * per-execution node context.
 */
const SPENT_KEY = 'nanoBananaSpentAtomic';

export interface GenerateRun {
	http: HttpFn;
	wallet: Wallet;
	session: PaymentSession;
	budget?: Budget;
	/** What this execution signed, per paid call (n8n's Retry On Fail re-runs the same calls). */
	ledger: ItemLedger;
	/** Which paid call each item is (its payment key, hence its nonce). */
	calls: CallScope;
	/**
	 * The calls of this run in progress, by payment key: a second item of the same call waits for the
	 * first.
	 */
	inProgress: Map<string, Promise<unknown>>;
	/** Run as an AI agent's tool: compact JSON, no binary. */
	tool: boolean;
}

/** The run, or why none of its items can be paid (the credential, or a run-wide option). */
export type RunSetup = (
	| { ok: true; run: GenerateRun }
	| { ok: false; error: unknown; wallet?: Wallet }
) & { concurrency: number };

/** Reads the wallet credential. Kept apart from any HTTP call (n8n's manual-auth lint rule). */
export async function loadWallet(context: IExecuteFunctions): Promise<Wallet | Error> {
	try {
		return walletFromCredential((await context.getCredentials('x402WalletApi')) as IDataObject);
	} catch (error) {
		return error as Error;
	}
}

/** The settings a model never fills (see notFromModel). */
const AUTHOR_ONLY = {
	'options.maxPriceUsdc': 'Max Price per Image (USDC)',
	'options.budgetUsdc': 'Budget per Execution (USDC)',
	'options.endpointUrl': 'Endpoint URL',
	'options.allowedHosts': 'Allowed Image Hosts',
	'options.expectedPayTo': 'Expected Recipient',
	'options.dryRun': 'Dry Run',
};

export function setUpRun(context: IExecuteFunctions, wallet: Wallet | Error): RunSetup {
	try {
		notFromModel(context.getNode().parameters, AUTHOR_ONLY);
	} catch (error) {
		return { ok: false, error, concurrency: 1 };
	}
	// Budget and concurrency apply to the whole run: read from the first item.
	const first = context.getNodeParameter('options', 0, {}) as IDataObject;
	let concurrency = 10;
	let budget: Budget | undefined;
	try {
		concurrency = wholeNumber(first.concurrency, 'Concurrency', 10, 1, 50);
		if (first.budgetUsdc !== undefined) {
			const limit = parseUsdc(first.budgetUsdc as number);
			if (limit === undefined)
				throw new InputError(
					'Budget per Execution (USDC)',
					'must be a number of 0 or more',
					'E.g. 1 for one dollar.',
				);
			const spentEarlier = context.getContext('node')[SPENT_KEY];
			budget = new Budget(limit, typeof spentEarlier === 'string' ? BigInt(spentEarlier) : 0n);
		}
	} catch (error) {
		return {
			ok: false,
			error: wallet instanceof Error ? wallet : error,
			wallet: wallet instanceof Error ? undefined : wallet,
			concurrency,
		};
	}
	if (wallet instanceof Error) return { ok: false, error: wallet, concurrency };
	const http = n8nHttp(context);
	const ledger = contextLedger(context.getContext('node'));
	const tool = isToolRun(context);
	const session = new PaymentSession({
		http,
		rpcHttp: n8nHttp(context, { cancellable: false }),
		wallet,
		budget,
		ledger,
		journal: (event) => logPayment(context, event),
	});
	return {
		ok: true,
		concurrency,
		run: {
			http,
			wallet,
			session,
			budget,
			ledger,
			calls: callScope(context, runIndexOf(context), tool),
			inProgress: new Map(),
			tool,
		},
	};
}

/** Keeps this run's spending for the node's next run in the same execution. */
export function recordSpending(context: IExecuteFunctions, run: GenerateRun): void {
	if (run.budget) context.getContext('node')[SPENT_KEY] = run.budget.spentAtomic.toString();
}

/**
 * Calls of this run that may have been tried before (an Idempotency Key, a Retry): their nonces'
 * state is read from the chain at once, alongside the first quote, instead of item by item.
 */
export function readRepeatsAhead(
	context: IExecuteFunctions,
	run: GenerateRun,
	count: number,
): void {
	const calls: PaymentCall[] = [];
	for (let itemIndex = 0; itemIndex < count; itemIndex++) {
		try {
			const options = context.getNodeParameter('options', itemIndex, {}) as IDataObject;
			if (options.dryRun === true) continue;
			const key = readIdempotencyKey(options);
			if (key !== undefined || run.calls.continued) calls.push(run.calls.callFor(itemIndex, key));
		} catch {
			// That item fails on its own turn, naming the problem.
		}
	}
	run.session.expectRepeats(calls);
}

/**
 * Which run of this node in the execution this is (loops run a node several times; a retry keeps
 * the index).
 */
function runIndexOf(context: IExecuteFunctions): number {
	try {
		const index = context.getWorkflowDataProxy(0).$runIndex;
		return typeof index === 'number' ? index : 0;
	} catch {
		return 0;
	}
}

/** What one item asks for, validated: nothing is sent for an invalid item. */
export interface ItemRequest {
	body: GenerateBody;
	endpoint: string;
	/** Hosts Sync Mode images may come from: the endpoint's origin, Dopamint, Allowed Hosts. */
	imageHosts: HostRule[];
	limits: PaymentLimits;
	timeoutMs: number;
	dryRun: boolean;
	binaryField: string;
	idempotencyKey?: string;
}

export function readItem(
	context: IExecuteFunctions,
	itemIndex: number,
	wallet: Wallet | undefined,
): ItemRequest {
	const body = buildGenerateBody({
		prompt: context.getNodeParameter('prompt', itemIndex, ''),
		aspectRatio: context.getNodeParameter('aspectRatio', itemIndex, '1:1'),
		outputFormat: context.getNodeParameter('outputFormat', itemIndex, 'png'),
		seed: context.getNodeParameter('seed', itemIndex, ''),
		numImages: context.getNodeParameter('numImages', itemIndex, 1),
		syncMode: context.getNodeParameter('syncMode', itemIndex, false),
		limitGenerations: context.getNodeParameter('limitGenerations', itemIndex, false),
	});
	const options = context.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const endpoint =
		typeof options.endpointUrl === 'string' && options.endpointUrl.trim()
			? options.endpointUrl.trim()
			: DOPAMINT_ENDPOINT;
	checkUrl(
		endpoint,
		'Endpoint URL',
		`Leave it at ${DOPAMINT_ENDPOINT} unless you use another x402 gateway.`,
	);
	const origin = originRule(endpoint);
	const imageHosts = [
		...(origin ? [origin] : []),
		...defaultHosts(),
		...parseHostList(options.allowedHosts),
	];
	const limits: PaymentLimits = {};
	if (options.maxPriceUsdc !== undefined) {
		const max = parseUsdc(options.maxPriceUsdc as number);
		if (max === undefined || max <= 0n)
			throw new InputError('Max Price per Image (USDC)', 'must be a number above 0', 'E.g. 0.06.');
		if (wallet && max > wallet.capAtomic) {
			throw new InputError(
				'Max Price per Image (USDC)',
				`${formatUsdc(max)} is above the credential's Max Payment per Request of ${formatUsdc(wallet.capAtomic)}`,
				'Lower it, or raise the cap in the x402 Wallet credential.',
			);
		}
		limits.maxAtomic = max;
	}
	if (typeof options.expectedPayTo === 'string' && options.expectedPayTo.trim()) {
		const payTo = options.expectedPayTo.trim();
		if (!/^0x[0-9a-fA-F]{40}$/.test(payTo))
			throw new InputError(
				'Expected Recipient',
				`"${payTo.slice(0, 60)}" is not an address`,
				'Use a 0x address of 40 hex characters, or leave it empty.',
			);
		limits.payTo = payTo;
	}
	const timeoutSeconds = numberWithin(
		options.requestTimeoutSeconds,
		'Request Timeout (Seconds)',
		REQUEST_TIMEOUT_MS / 1000,
		1,
		900,
	);
	return {
		body,
		endpoint,
		imageHosts,
		limits,
		timeoutMs: timeoutSeconds * 1000,
		dryRun: options.dryRun === true,
		binaryField: binaryField(options.binaryPropertyName),
		idempotencyKey: readIdempotencyKey(options),
	};
}

/**
 * The record of a payment that outlives the worker: a line in n8n's log before the payment
 * header leaves, and one with its settlement. n8n's default text log format keeps only the
 * message, so every fact is in it (the metadata object is kept with N8N_LOG_FORMAT=json).
 * Never the key: the facts are the signed authorization's, the call's and the chain's.
 */
function logPayment(context: IExecuteFunctions, event: PaymentEvent): void {
	const where = event.call?.where ?? {};
	const place = `workflow ${String(where.workflow ?? '?')}, execution ${String(where.execution || 'none yet')}${where.retryOf ? ` (retry of ${String(where.retryOf)})` : ''}, node "${String(where.node ?? '?')}", item ${String(where.item ?? '?')}`;
	const key = event.call ? `; payment key ${event.call.key.slice(0, 600)}` : '';
	if (event.kind === 'signed') {
		const a = event.attempt;
		const message = `n8n-nodes-nano-banana: payment signed, about to be sent: ${a.amountUsdc} USDC from ${a.payer} to ${a.payTo} on ${a.network}, nonce ${a.nonce}, valid until ${isoFromSeconds(a.validBefore)}; ${place}${key}`;
		context.logger.info(message, {
			event: 'x402 payment signed',
			...a,
			...where,
			paymentKey: event.call?.key,
		});
	} else if (event.kind === 'settled') {
		const a = event.attempt;
		const message = `n8n-nodes-nano-banana: payment ${event.settlement}${event.transaction ? `, transaction ${event.transaction}` : ''} (${event.outcome.slice(0, 300)}): ${a.amountUsdc} USDC from ${a.payer} to ${a.payTo}, nonce ${a.nonce}; ${place}${key}`;
		context.logger.info(message, {
			event: 'x402 payment settled',
			settlement: event.settlement,
			transaction: event.transaction ?? null,
			...a,
			...where,
			paymentKey: event.call?.key,
		});
	} else {
		const e = event.earlier;
		const message = `n8n-nodes-nano-banana: already paid, not signed again: nonce ${e.nonce} of ${e.payer} is used${e.transaction ? ` (transaction ${e.transaction})` : ''}; ${place}${key}`;
		context.logger.info(message, { event: 'x402 already paid', ...e, ...where });
	}
}
