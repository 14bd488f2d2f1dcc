import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { downloadImage } from '../shared/binary';
import { buildGenerateBody, DOPAMINT_ENDPOINT, parseGenerateAnswer, type GenerateBody } from '../shared/dopamint';
import { inputError, isoFromSeconds, PaymentError, settle } from '../shared/errors';
import { n8nHttp, type HttpFn } from '../shared/http';
import { REQUEST_TIMEOUT_MS } from '../shared/limits';
import { intOption, isToolRun } from '../shared/items';
import { findImages } from '../shared/jobs/shapes';
import { checkUrl, defaultHosts, hostOf, originRule, parseHostList, redactText, type HostRule } from '../shared/urls';
import type { PaymentCall, PaymentEvent } from '../shared/x402/call';
import { contextLedger, type ItemLedger } from '../shared/x402/ledger';
import { formatUsdc, parseUsdc } from '../shared/x402/money';
import { attemptOf, type Receipt } from '../shared/x402/receipt';
import { PaymentSession, type WalletFacts } from '../shared/x402/session';
import { Budget, selectRequirement, type PaymentLimits } from '../shared/x402/policy';
import { describeQuote } from '../shared/x402/quote';
import { walletFromCredential, type Wallet } from '../shared/x402/wallet';
import { callScope, readIdempotencyKey, type CallScope } from './calls';

/** Where the spending of this node is kept between its runs in one execution (loops): n8n's per-execution node context. */
const SPENT_KEY = 'nanoBananaSpentAtomic';

/** Everything one run of the node shares across its items: created per execution, never global. */
export interface GenerateRun {
	http: HttpFn;
	wallet?: Wallet;
	/** A problem with the credential or the run-wide options: every item fails with it. */
	runError?: unknown;
	session?: PaymentSession;
	budget?: Budget;
	/** What this execution signed, per paid call (n8n's Retry On Fail re-runs the same calls). */
	ledger: ItemLedger;
	/** Which paid call each item is (its payment key, hence its nonce). */
	calls: CallScope;
	/** The calls of this run in progress, by payment key: a second item of the same call waits for the first. */
	inProgress: Map<string, Promise<unknown>>;
	concurrency: number;
	tool: boolean;
	describePaid: (done: INodeExecutionData[][]) => string | undefined;
}

/** Reads the wallet credential. Kept apart from any HTTP call (n8n's manual-auth lint rule). */
export async function loadWallet(context: IExecuteFunctions): Promise<Wallet | Error> {
	try {
		return walletFromCredential((await context.getCredentials('x402WalletApi')) as IDataObject);
	} catch (error) {
		return error as Error;
	}
}

export function startRun(context: IExecuteFunctions, wallet: Wallet | Error): GenerateRun {
	// Budget and concurrency apply to the whole run: read from the first item.
	const first = context.getNodeParameter('options', 0, {}) as IDataObject;
	const http = n8nHttp(context);
	let runError: unknown = wallet instanceof Error ? wallet : undefined;
	let budget: Budget | undefined;
	let concurrency = 10;
	try {
		concurrency = intOption(first.concurrency, 'Concurrency', 10, 1, 50);
		if (first.budgetUsdc !== undefined) {
			const limit = parseUsdc(first.budgetUsdc as number);
			if (limit === undefined) throw inputError('Budget per Execution (USDC)', 'must be a number of 0 or more', 'E.g. 1 for one dollar.');
			const spentEarlier = context.getContext('node')[SPENT_KEY];
			budget = new Budget(limit, typeof spentEarlier === 'string' ? BigInt(spentEarlier) : 0n);
		}
	} catch (error) {
		runError ??= error;
	}
	const ok = wallet instanceof Error ? undefined : wallet;
	const ledger = contextLedger(context.getContext('node'));
	const tool = isToolRun(context) || context.getNode().type.endsWith('Tool');
	return {
		http,
		wallet: ok,
		runError,
		session: ok && !runError ? new PaymentSession({ http, rpcHttp: n8nHttp(context, { cancellable: false }), wallet: ok, budget, ledger, journal: (event) => logPayment(context, event) }) : undefined,
		budget,
		ledger,
		calls: callScope(context, runIndexOf(context), tool),
		inProgress: new Map(),
		concurrency,
		tool: isToolRun(context),
		describePaid: (done) => {
			const paid = done.flat().filter((item) => (item.json.payment as IDataObject | undefined)?.nonce);
			if (!paid.length) return undefined;
			const jobs = paid.map((item) => item.json.jobId).join(', ');
			return `Before the failure, ${paid.length} other item(s) of this run were paid and submitted (jobs: ${jobs}); their output is lost because the node stopped. Turn on Continue On Fail to keep successful items.`;
		},
	};
}

/**
 * Calls of this run that may have been tried before (an Idempotency Key, a Retry): their nonces'
 * state is read from the chain at once, alongside the first quote, instead of item by item.
 */
export function readRepeatsAhead(context: IExecuteFunctions, run: GenerateRun, count: number): void {
	if (!run.session) return;
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

/** Which run of this node in the execution this is (loops run a node several times; a retry keeps the index). */
function runIndexOf(context: IExecuteFunctions): number {
	try {
		const index = context.getWorkflowDataProxy(0).$runIndex;
		return typeof index === 'number' ? index : 0;
	} catch {
		return 0;
	}
}

/** Keeps this run's spending for the node's next run in the same execution. */
export function recordSpending(context: IExecuteFunctions, run: GenerateRun): void {
	if (run.budget) context.getContext('node')[SPENT_KEY] = run.budget.spentAtomic.toString();
}

function readBody(context: IExecuteFunctions, itemIndex: number): GenerateBody {
	return buildGenerateBody({
		prompt: context.getNodeParameter('prompt', itemIndex, ''),
		aspectRatio: context.getNodeParameter('aspectRatio', itemIndex, '1:1'),
		outputFormat: context.getNodeParameter('outputFormat', itemIndex, 'png'),
		seed: context.getNodeParameter('seed', itemIndex, ''),
		numImages: context.getNodeParameter('numImages', itemIndex, 1),
		syncMode: context.getNodeParameter('syncMode', itemIndex, false),
		limitGenerations: context.getNodeParameter('limitGenerations', itemIndex, false),
	});
}

interface ItemOptions {
	endpoint: string;
	/** Hosts Sync Mode images may come from: the endpoint's origin, Dopamint, Allowed Hosts. */
	imageHosts: HostRule[];
	limits: PaymentLimits;
	timeoutMs: number;
	dryRun: boolean;
	binaryField: string;
	idempotencyKey?: string;
}

function readOptions(options: IDataObject, wallet: Wallet | undefined): ItemOptions {
	const endpoint = typeof options.endpointUrl === 'string' && options.endpointUrl.trim() ? options.endpointUrl.trim() : DOPAMINT_ENDPOINT;
	checkUrl(endpoint, 'Endpoint URL', `Leave it at ${DOPAMINT_ENDPOINT} unless you use another x402 gateway.`);
	const origin = originRule(endpoint);
	const imageHosts = [...(origin ? [origin] : []), ...defaultHosts(), ...parseHostList(options.allowedHosts)];
	const limits: PaymentLimits = {};
	if (options.maxPriceUsdc !== undefined) {
		const max = parseUsdc(options.maxPriceUsdc as number);
		if (max === undefined || max <= 0n) throw inputError('Max Price per Image (USDC)', 'must be a number above 0', 'E.g. 0.06.');
		if (wallet && max > wallet.capAtomic) {
			throw inputError(
				'Max Price per Image (USDC)',
				`${formatUsdc(max)} is above the credential's Max Payment per Request of ${formatUsdc(wallet.capAtomic)}`,
				'Lower it, or raise the cap in the x402 Wallet credential.',
			);
		}
		limits.maxAtomic = max;
	}
	if (typeof options.expectedPayTo === 'string' && options.expectedPayTo.trim()) {
		const payTo = options.expectedPayTo.trim();
		if (!/^0x[0-9a-fA-F]{40}$/.test(payTo)) throw inputError('Expected Recipient', `"${payTo.slice(0, 60)}" is not an address`, 'Use a 0x address of 40 hex characters, or leave it empty.');
		limits.payTo = payTo;
	}
	const timeoutSeconds = options.requestTimeoutSeconds === undefined ? REQUEST_TIMEOUT_MS / 1000 : Number(options.requestTimeoutSeconds);
	if (!Number.isFinite(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > 900) {
		throw inputError('Request Timeout (Seconds)', 'must be between 1 and 900', 'E.g. 120.');
	}
	const binaryField = typeof options.binaryPropertyName === 'string' ? options.binaryPropertyName.trim() : 'data';
	if (!/^[\w.-]{1,100}$/.test(binaryField)) {
		throw inputError('Binary Field', `"${binaryField.slice(0, 100)}" is not a valid field name`, 'Use letters, digits, "_", "-" or ".", e.g. data.');
	}
	return { endpoint, imageHosts, limits, timeoutMs: timeoutSeconds * 1000, dryRun: options.dryRun === true, binaryField, idempotencyKey: readIdempotencyKey(options) };
}

/** One item: validate, (quote | pay), shape the output. */
export async function generateImage(context: IExecuteFunctions, run: GenerateRun, itemIndex: number): Promise<INodeExecutionData[]> {
	// Validate everything before any request: nothing is paid for an invalid item.
	const body = readBody(context, itemIndex);
	const options = readOptions(context.getNodeParameter('options', itemIndex, {}) as IDataObject, run.wallet);
	if (run.runError || !run.session || !run.wallet) throw run.runError;
	const call = options.dryRun ? undefined : run.calls.callFor(itemIndex, options.idempotencyKey);
	const request = { url: options.endpoint, body, timeoutMs: options.timeoutMs, limits: options.limits, call };

	if (options.dryRun) {
		// Who would pay and what it holds, read alongside the quote: the credential test computes
		// the same facts, but n8n shows only "Connection tested successfully" after a passing test.
		const facts = settle(run.session.walletFacts());
		const outcome = await run.session.quote(request);
		const wallet = await facts;
		if (!wallet.ok) throw wallet.error;
		if (outcome.kind === 'answer') {
			return [{ json: { dryRun: true, endpoint: options.endpoint, request: body as unknown as IDataObject, paymentRequired: false, wouldPay: true, wallet: walletJson(run.wallet, wallet.value) } }];
		}
		let refusal: string | undefined;
		let chosen;
		try {
			chosen = selectRequirement(outcome.quote, run.wallet, options.limits);
		} catch (error) {
			refusal = (error as Error).message;
		}
		return [
			{
				// What a user reads first: would it pay, from which wallet, holding how much.
				json: {
					dryRun: true,
					wouldPay: !refusal,
					...(refusal ? { refusal } : {}),
					wallet: walletJson(run.wallet, wallet.value, chosen?.amountAtomic),
					quote: describeQuote(outcome.quote, chosen),
					paymentRequired: true,
					endpoint: options.endpoint,
					request: body as unknown as IDataObject,
					limits: {
						maxPriceUsdc: formatUsdc(options.limits.maxAtomic ?? run.wallet.capAtomic),
						credentialCapUsdc: formatUsdc(run.wallet.capAtomic),
						network: run.wallet.network.key,
						...(options.limits.payTo ? { expectedPayTo: options.limits.payTo } : {}),
					},
				},
			},
		];
	}

	const paymentKey = (call as NonNullable<typeof call>).key;
	// Two items of one call in this run (the same Idempotency Key twice, a tool asked twice the
	// same): the second waits for the first and is answered from the ledger, never paid again.
	const before = run.inProgress.get(paymentKey);
	const mine = (async () => {
		if (before) await before.catch(() => undefined);
		return await payAndShape(context, run, options, body, request, itemIndex);
	})();
	run.inProgress.set(paymentKey, mine);
	return await mine;
}

async function payAndShape(
	context: IExecuteFunctions,
	run: GenerateRun,
	options: ItemOptions,
	body: GenerateBody,
	request: Parameters<PaymentSession['pay']>[0],
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const session = run.session as PaymentSession;
	const paymentKey = request.call?.key ?? `item ${itemIndex}`;
	const earlier = run.ledger.get(paymentKey);
	if (earlier?.state === 'done') {
		// Retry On Fail re-ran the node (or this run asked for the same call twice): it was paid and answered before.
		return (earlier.outputs as IDataObject[]).map((json) => ({ json: { ...json, fromEarlierTry: true } }));
	}
	const answer = await session.pay(request);
	const receipt = answer.receipt;
	const job = parseGenerateAnswer(answer.body);
	if (!job) {
		const excerpt = redactText(JSON.stringify(answer.body)).slice(0, 200);
		if (!receipt) throw inputError('Endpoint URL', `the service answered without a job id and without asking for payment: ${excerpt}`, 'Check that the Endpoint URL is an x402 image endpoint.');
		throw new PaymentError({ reason: `The service answered the paid request without a job id: ${excerpt}`, attempt: attemptOf(receipt), verdict: receipt.settlement, checkedAt: receipt.checkedAt });
	}
	const payment = receipt ? receiptJson(receipt) : null;
	// Paid and answered: a retry of this call in this execution gives this answer again instead of paying.
	if (receipt) run.ledger.set(paymentKey, { state: 'done', attempt: attemptOf(receipt), outputs: [{ jobId: job.jobId, statusUrl: redactText(job.statusUrl), payment }] });
	const outputs = await shapeOutput(context, run, options, body, job, payment);
	if (receipt) run.ledger.set(paymentKey, { state: 'done', attempt: attemptOf(receipt), outputs: outputs.map((item) => item.json) });
	return outputs;
}

async function shapeOutput(
	context: IExecuteFunctions,
	run: GenerateRun,
	options: ItemOptions,
	body: GenerateBody,
	job: NonNullable<ReturnType<typeof parseGenerateAnswer>>,
	payment: IDataObject | null,
): Promise<INodeExecutionData[]> {
	const receipt = payment as unknown as Receipt | null;
	if (run.tool) {
		// AI agents drop binary: give them the essentials in JSON.
		const images = findImages(job.raw).map((img) => redactText(img.url));
		return [
			{
				json: {
					jobId: job.jobId,
					statusUrl: redactText(job.statusUrl),
					...(images.length ? { imageUrls: images } : {}),
					costUsdc: receipt?.amountUsdc ?? '0',
					transaction: receipt?.transaction ?? null,
				},
			},
		];
	}
	const base: IDataObject = {
		jobId: job.jobId,
		statusUrl: redactText(job.statusUrl),
		message: job.message,
		timestamp: job.timestamp,
		statusCode: job.statusCode,
		endpoint: options.endpoint,
		request: body as unknown as IDataObject,
		payment,
	};
	const images = body.sync_mode ? findImages(job.raw) : [];
	if (!images.length) return [{ json: base }];
	const out: INodeExecutionData[] = [];
	for (const [index, ref] of images.entries()) {
		try {
			const image = await downloadImage(context, run.http, ref, {
				allowedHosts: options.imageHosts,
				baseName: `nano-banana-${job.jobId}-${index}`,
				timeoutMs: options.timeoutMs,
			});
			out.push({
				json: { ...base, image: { index, url: image.url, mimeType: image.mimeType, fileName: image.fileName, sizeBytes: image.sizeBytes, width: image.width ?? null, height: image.height ?? null } },
				binary: { [options.binaryField]: image.binary },
			});
		} catch (error) {
			// The image is paid for: never lose the item over a download problem.
			out.push({ json: { ...base, image: { index, url: redactText(ref.url).slice(0, 2_000), downloadError: (error as Error).message } } });
		}
	}
	return out;
}

function receiptJson(receipt: Receipt): IDataObject {
	return { ...receipt };
}

/** The paying wallet as the Dry Run shows it: address, network, USDC held and how many images that covers. */
function walletJson(wallet: Wallet, facts: WalletFacts, priceAtomic?: bigint): IDataObject {
	const json: IDataObject = { address: facts.address, network: wallet.network.label };
	if (facts.usdcBalance === undefined) {
		json.usdcBalance = null;
		json.balanceNote = `The balance could not be read: the RPC${wallet.rpcUrl ? ` at ${hostOf(wallet.rpcUrl)}` : ''} did not answer (payments do not need it; set RPC URL in the credential to see it).`;
		return json;
	}
	json.usdcBalance = formatUsdc(facts.usdcBalance);
	if (priceAtomic !== undefined && priceAtomic > 0n) {
		json.imagesCovered = Number(facts.usdcBalance / priceAtomic);
		if (facts.usdcBalance < priceAtomic) json.fundingNote = `Send USDC on ${wallet.network.label} to ${facts.address} before running without Dry Run.`;
	}
	return json;
}


/**
 * The record of a payment that outlives the worker: a line in n8n's log before the payment
 * header leaves, and one with the verdict. n8n's default text log format keeps only the
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
		context.logger.info(message, { event: 'x402 payment signed', ...a, ...where, paymentKey: event.call?.key });
	} else if (event.kind === 'verdict') {
		const a = event.attempt;
		const message = `n8n-nodes-nano-banana: payment verdict ${event.verdict}${event.transaction ? `, transaction ${event.transaction}` : ''} (${event.outcome.slice(0, 300)}): ${a.amountUsdc} USDC from ${a.payer} to ${a.payTo}, nonce ${a.nonce}; ${place}${key}`;
		context.logger.info(message, { event: 'x402 payment verdict', verdict: event.verdict, transaction: event.transaction ?? null, ...a, ...where, paymentKey: event.call?.key });
	} else {
		const e = event.earlier;
		const message = `n8n-nodes-nano-banana: already paid, not signed again: nonce ${e.nonce} of ${e.payer} is used${e.transaction ? ` (transaction ${e.transaction})` : ''}; ${place}${key}`;
		context.logger.info(message, { event: 'x402 already paid', ...e, ...where });
	}
}
