/**
 * The set-up of one run of a paying node (Generate, X402 Request): what every item of the run
 * shares (the wallet, the payment session with its budget and its paid-once record, which call
 * each item is), created per execution and never global.
 */

import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { InputError } from './errors';
import type { HttpFn } from './http';
import { n8nHttp } from './transports';
import { isToolRun } from './items';
import { logPayment } from './paymentLog';
import { callScope, readIdempotencyKey, type CallScope } from './paymentKeys';
import { notFromModel, wholeNumber } from './validate';
import { Budget } from './x402/controls';
import { contextLedger, type PaymentCall } from './x402/once';
import { parseUsdc } from './x402/protocol/money';
import { PaymentSession } from './x402/session';
import { walletFromCredential, type Wallet } from './x402/wallet/credential';

/**
 * Where the spending of this node is kept between its runs in one execution (loops): n8n's
 * per-execution node context.
 */
const SPENT_KEY = 'nanoBananaSpentAtomic';

export interface PaidRun {
	http: HttpFn;
	wallet: Wallet;
	/** The x402 client of this run: its controls, its paid-once record (`session.once`). */
	session: PaymentSession;
	budget?: Budget;
	/** Which paid call each item is (its payment key, hence its nonce). */
	calls: CallScope;
	/** Run as an AI agent's tool: compact JSON, no binary. */
	tool: boolean;
}

/** The run, or why none of its items can be paid (the credential, or a run-wide option). */
export type RunSetup = (
	| { ok: true; run: PaidRun }
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

/**
 * The run of a paying node. `authorOnly` names the settings a model never fills (money and safety:
 * see notFromModel); Budget per Execution and Concurrency come from the first item's options.
 */
export function setUpRun(
	context: IExecuteFunctions,
	wallet: Wallet | Error,
	authorOnly: Record<string, string>,
): RunSetup {
	try {
		notFromModel(context.getNode().parameters, authorOnly);
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
	const tool = isToolRun(context);
	const session = new PaymentSession({
		http,
		rpcHttp: n8nHttp(context, { cancellable: false }),
		wallet,
		budget,
		ledger: contextLedger(context.getContext('node')),
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
			calls: callScope(context, runIndexOf(context), tool),
			tool,
		},
	};
}

/** Keeps this run's spending for the node's next run in the same execution. */
export function recordSpending(context: IExecuteFunctions, run: PaidRun): void {
	if (run.budget) context.getContext('node')[SPENT_KEY] = run.budget.spentAtomic.toString();
}

/**
 * Calls of this run that may have been tried before (an Idempotency Key, a Retry): their nonces'
 * state is read from the chain at once, alongside the first quote, instead of item by item.
 */
export function readRepeatsAhead(
	context: IExecuteFunctions,
	run: PaidRun,
	count: number,
	paysNothing: (itemIndex: number, options: IDataObject) => boolean,
): void {
	const calls: PaymentCall[] = [];
	for (let itemIndex = 0; itemIndex < count; itemIndex++) {
		try {
			const options = context.getNodeParameter('options', itemIndex, {}) as IDataObject;
			if (paysNothing(itemIndex, options)) continue;
			const key = readIdempotencyKey(options);
			if (key !== undefined || run.calls.continued) calls.push(run.calls.callFor(itemIndex, key));
		} catch {
			// That item fails on its own turn, naming the problem.
		}
	}
	run.session.once.expect(calls);
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

/**
 * One item's paid call, once: a second item of the same call in this run, or the call Retry On Fail
 * runs again, gets the first one's outputs back (`fromEarlierTry`), never a second payment.
 */
export async function payOnce(
	run: PaidRun,
	call: PaymentCall,
	work: () => Promise<INodeExecutionData[]>,
): Promise<INodeExecutionData[]> {
	return await run.session.once.once(call, work, (outputs) =>
		outputs.map((json) => ({ json: { ...(json as IDataObject), fromEarlierTry: true } })),
	);
}
