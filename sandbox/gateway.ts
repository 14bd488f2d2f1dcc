/**
 * A Dopamint-shaped x402 gateway on loopback, with a job queue behind
 * `statusUrl`, real image bytes, and fault switches for tests. Development only.
 *
 *   POST /api/ai/generations/images/nano-banana   402 -> verify -> validate -> settle -> {jobId, statusUrl, ...}
 *   GET  /api/ai/generations/status/:jobId         job status (Dopamint-like or fal-like shape)
 *   GET  /api/ai/generations/result/:jobId         fal-like result (response_url)
 *   GET  /images/:jobId/:n.:ext                     the image
 */
import type { Facilitator } from './facilitator';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { NETWORKS } from '../nodes/shared/x402/protocol/assets';
import { readBody } from './body';
import { dimensions, makeImage, MIME, type ImageFormat } from './images';

// Written out from Dopamint's published terms, deliberately not imported from the package:
// a fake that shares the product's constants could not catch a mistake in them.
export const NANO_BANANA_PATH = '/api/ai/generations/images/nano-banana';
export const DOPAMINT_PAY_TO = '0x5054acbbdd6aed95231cbe833f7bf1db7c248bff';
export const DOPAMINT_PRICE = 52_700n;
export const ASPECT_RATIOS = [
	'21:9',
	'16:9',
	'3:2',
	'4:3',
	'5:4',
	'1:1',
	'4:5',
	'3:4',
	'2:3',
	'9:16',
];
export const OUTPUT_FORMATS = ['jpeg', 'png', 'webp'];

/** Switches a test flips to make the gateway misbehave. All off by default. */
export interface Faults {
	/** After verifying, before settling: answer 500, or never answer. */
	beforeSettle?: 'error' | 'hang';
	/** After settling: answer 500, never answer, or answer 200 with a body that is not JSON. */
	afterSettle?: 'error' | 'hang' | 'garbled' | 'huge';
	/** The facilitator "fails" to settle: answer 402 with an error, no transfer. */
	settleFails?: boolean;
	/** Answer the paid retry with a fresh 402 without verifying or settling. */
	refusePaid?: boolean;
	/**
	 * After settling and making the job, drop the connection without an answer, once: a lost answer.
	 * The answer is kept by payment id (payment-identifier), as a server that supports it does.
	 */
	loseAnswerOnce?: boolean;
	/** Jobs end in failure with this reason. */
	jobFails?: string;
	/** The status URL answers this HTTP status. */
	statusStatus?: number;
	/** The status URL answers this many 503s first (transient). */
	statusTransientErrors?: number;
	/** The status URL answers text that is not JSON. */
	statusGarbled?: boolean;
	/** The status URL sends Retry-After (seconds) while the job runs. */
	retryAfterSeconds?: number;
	/** Apply the paid-request faults above only to requests with this prompt. */
	onlyPrompt?: string;
	/** Fields written over the requirement in the 402 the client sees (the gateway still verifies against its real terms). */
	quoteOverrides?: Record<string, unknown>;
	/** Answer the paid request with a redirect to this URL (before looking at the payment). */
	paidRedirect?: string;
	/** Answer the unpaid request with a redirect to this URL. */
	unpaidRedirect?: string;
	/** Answer the paid request 200 with a job and a settlement header claiming a transaction that never happened (no settling). */
	forgeSettlement?: boolean;
	/** After settling, answer 200 JSON without a job id. */
	noJobId?: boolean;
	/** Sync mode: the finished image's URL is this one instead of the gateway's own. */
	syncImageUrl?: string;
	/** After this many settlements, the price changes to `newPrice` (stale quotes get refused). */
	priceChangeAfter?: number;
	newPrice?: bigint;
}

export interface GatewayOptions {
	facilitator: Facilitator;
	/** x402 version the gateway speaks. */
	version?: 1 | 2;
	/**
	 * v2: declare the payment-identifier extension (x402 specs/extensions/payment-identifier.md) and
	 * keep answers by id: the same id with the identical payment gets the kept answer, without a
	 * second settlement; with another payment, 409.
	 */
	paymentIdentifier?: { required: boolean };
	price?: bigint;
	payTo?: string;
	/** Network written in the quote (v1 name). */
	network?: string;
	asset?: string;
	/** How long a job runs; a function gets the job's index (0, 1, ...). */
	jobDurationMs?: number | ((index: number) => number);
	/** Delay added to every request, to model a remote service. */
	latencyMs?: number;
	/** Delay between verifying a payment and settling it (payments stay in flight that long). */
	settleDelayMs?: number;
	/** Status answers shaped like Dopamint (guessed) or like a fal.ai queue. */
	statusShape?: 'dopamint' | 'fal';
	/** Pad PNG images to at least this many bytes (benchmarks). */
	imageBytes?: number;
	/** Long side of the images in pixels (default SANDBOX_IMAGE_SIZE, else 1024). */
	imageSize?: number;
	faults?: Faults;
}

export interface JobRecord {
	id: string;
	index: number;
	request: Record<string, unknown>;
	createdAt: number;
	readyAt: number;
	payer?: string;
	transaction?: string;
}

/** A job to put in the gateway's queue. */
export interface NewJob {
	id?: string;
	request?: Record<string, unknown>;
	/** It is finished this long after it is added (0: at once). */
	durationMs?: number;
	index?: number;
	payer?: string;
	transaction?: string;
}

export interface Gateway {
	url: string;
	endpoint: string;
	faults: Faults;
	options: GatewayOptions;
	jobs: Map<string, JobRecord>;
	/** Requests seen, by kind. */
	counts: {
		generate: number;
		unpaid: number;
		paid: number;
		settled: number;
		/** Paid requests answered from the answers kept by payment id (no second settlement). */
		replayed: number;
		status: number;
		result: number;
		image: number;
	};
	/** Most paid generate requests in flight at once. */
	maxInFlight: number;
	/** Every X-PAYMENT / PAYMENT-SIGNATURE header received (to prove what was signed). */
	paymentHeaders: string[];
	/** Polls per job id. */
	polls: Map<string, number>;
	/** When each job was first seen finished by a status request. */
	noticedAt: Map<string, number>;
	/** Adds a job (tests of Wait for Job create jobs without paying). */
	addJob(job: NewJob): JobRecord;
	/** Restores the gateway as it started: no faults, its first options, no jobs, counts at zero. */
	reset(): void;
	close(): Promise<void>;
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
	const faults: Faults = options.faults ?? {};
	const jobs = new Map<string, JobRecord>();
	/** Images already drawn, by job and format (a picture takes tens of milliseconds to draw). */
	const rendered = new Map<string, Buffer>();
	const counts = {
		generate: 0,
		unpaid: 0,
		paid: 0,
		settled: 0,
		replayed: 0,
		status: 0,
		result: 0,
		image: 0,
	};
	/** Answers kept by payment id (payment-identifier), with the payment header they were paid with. */
	const answersById = new Map<
		string,
		{ header: string; body: unknown; headers?: Record<string, string> }
	>();
	const flight = { now: 0, max: 0 };
	const paymentHeaders: string[] = [];
	const polls = new Map<string, number>();
	const noticedAt = new Map<string, number>();
	const transientLeft = new Map<string, number>();
	const hanging = new Set<http.ServerResponse>();
	let jobIndex = 0;
	let baseUrl = '';
	/** The options as started: what reset() restores. */
	const initial: GatewayOptions = { ...options, faults };

	/** A job as if it had been paid for (the gateway's own, or a test's: Wait for Job never pays). */
	const addJob = (job: NewJob): JobRecord => {
		const now = Date.now();
		const record: JobRecord = {
			id: job.id ?? randomUUID(),
			index: job.index ?? jobs.size,
			request: job.request ?? { prompt: 'a banana' },
			createdAt: now,
			readyAt: now + (job.durationMs ?? 0),
			payer: job.payer,
			transaction: job.transaction,
		};
		jobs.set(record.id, record);
		return record;
	};

	const requirements = () => {
		const version = options.version ?? 1;
		const changed =
			faults.priceChangeAfter !== undefined &&
			counts.settled >= faults.priceChangeAfter &&
			faults.newPrice !== undefined;
		const amount = (
			changed ? (faults.newPrice as bigint) : (options.price ?? DOPAMINT_PRICE)
		).toString();
		const common = {
			scheme: 'exact',
			payTo: options.payTo ?? DOPAMINT_PAY_TO,
			maxTimeoutSeconds: 300,
			asset: options.asset ?? NETWORKS.base.usdc.address,
			extra: { name: 'USD Coin', version: '2' },
		};
		const resource = `${baseUrl}${NANO_BANANA_PATH}`;
		const description = 'Generate an image with nano-banana';
		if (version === 1) {
			return {
				x402Version: 1 as const,
				accepts: [
					{
						...common,
						network: options.network ?? 'base',
						maxAmountRequired: amount,
						resource,
						description,
						mimeType: 'application/json',
						outputSchema: {
							input: {
								type: 'http',
								method: 'POST',
								bodyType: 'json',
								bodyFields: {
									prompt: { type: 'string', required: true, description: 'Text prompt' },
									seed: { type: 'integer', required: false },
									sync_mode: { type: 'boolean', required: false },
									num_images: { type: 'integer', required: false, enum: [1] },
									aspect_ratio: { type: 'string', required: false, enum: ASPECT_RATIOS },
									output_format: { type: 'string', required: false, enum: OUTPUT_FORMATS },
									limit_generations: { type: 'boolean', required: false },
								},
							},
							output: {
								jobId: 'string',
								message: 'string',
								statusUrl: 'string',
								timestamp: 'string',
								statusCode: 'number',
							},
						},
					},
				],
			};
		}
		return {
			x402Version: 2 as const,
			resource: { url: resource, description, mimeType: 'application/json' },
			...(options.paymentIdentifier
				? {
						extensions: {
							'payment-identifier': {
								info: { required: options.paymentIdentifier.required },
								schema: {
									$schema: 'https://json-schema.org/draft/2020-12/schema',
									type: 'object',
									properties: {
										required: { type: 'boolean' },
										id: {
											type: 'string',
											minLength: 16,
											maxLength: 128,
											pattern: '^[a-zA-Z0-9_-]+$',
										},
									},
									required: ['required'],
								},
							},
						},
					}
				: {}),
			accepts: [
				{
					...common,
					network:
						options.network === undefined || options.network === 'base'
							? 'eip155:8453'
							: options.network,
					amount,
				},
			],
		};
	};

	const send = (
		res: http.ServerResponse,
		status: number,
		body: unknown,
		headers: Record<string, string> = {},
	) => {
		const text = typeof body === 'string' ? body : JSON.stringify(body);
		res.writeHead(status, {
			'content-type': typeof body === 'string' ? 'text/plain' : 'application/json',
			...headers,
		});
		res.end(text);
	};

	const paymentRequired = (res: http.ServerResponse, error: string) => {
		const real = requirements();
		const req = faults.quoteOverrides
			? { ...real, accepts: real.accepts.map((a) => ({ ...a, ...faults.quoteOverrides })) }
			: real;
		if (req.x402Version === 1) return send(res, 402, { ...req, error });
		const encoded = Buffer.from(JSON.stringify({ ...req, error })).toString('base64');
		return send(res, 402, {}, { 'payment-required': encoded });
	};

	const hang = (res: http.ServerResponse) => {
		hanging.add(res);
		res.on('close', () => hanging.delete(res));
	};

	const validate = (body: Record<string, unknown>): string | undefined => {
		if (typeof body.prompt !== 'string' || body.prompt.trim() === '') return 'prompt is required';
		if (body.seed !== undefined && (!Number.isInteger(body.seed) || (body.seed as number) < 0))
			return 'seed must be a non-negative integer';
		if (body.num_images !== undefined && body.num_images !== 1) return 'num_images must be 1';
		if (body.aspect_ratio !== undefined && !ASPECT_RATIOS.includes(body.aspect_ratio as string))
			return `aspect_ratio must be one of ${ASPECT_RATIOS.join(', ')}`;
		if (body.output_format !== undefined && !OUTPUT_FORMATS.includes(body.output_format as string))
			return `output_format must be one of ${OUTPUT_FORMATS.join(', ')}`;
		for (const flag of ['sync_mode', 'limit_generations']) {
			if (body[flag] !== undefined && typeof body[flag] !== 'boolean')
				return `${flag} must be a boolean`;
		}
		return undefined;
	};

	const imagesOf = (job: JobRecord) => {
		const format = (job.request.output_format as ImageFormat) ?? 'png';
		const aspect = (job.request.aspect_ratio as string) ?? '1:1';
		const { width, height } = dimensions(aspect, options.imageSize);
		return [
			{
				url: `${baseUrl}/images/${job.id}/0.${format}`,
				content_type: MIME[format],
				file_name: `${job.id}-0.${format}`,
				width,
				height,
			},
		];
	};

	/** What a fault hook sees: the request being answered, and the settlement once there is one. */
	interface Step {
		res: http.ServerResponse;
		settlementHeader?: Record<string, string>;
	}
	type Hook = (step: Step) => Promise<true | undefined> | true | undefined;
	const answered = (action: unknown): true => (void action, true);
	/**
	 * The fault switches as named hooks around the plain protocol steps of a paid request:
	 * "paid" when a payment header arrives (before looking at it), "verified" after the
	 * facilitator verified it and the body is valid, "settled" after the facilitator settled.
	 * A hook that answers the request ends it there.
	 */
	const FAULT_HOOKS: Array<{
		at: 'paid' | 'verified' | 'settled';
		fault: keyof Faults;
		hook: Hook;
	}> = [
		{
			at: 'paid',
			fault: 'refusePaid',
			hook: ({ res }) => answered(paymentRequired(res, 'payment refused (fault switch)')),
		},
		{
			at: 'paid',
			fault: 'paidRedirect',
			hook: ({ res }) => answered(send(res, 307, '', { location: faults.paidRedirect as string })),
		},
		{ at: 'paid', fault: 'forgeSettlement', hook: ({ res }) => answered(forgedAnswer(res)) },
		{
			at: 'verified',
			fault: 'beforeSettle',
			hook: ({ res }) =>
				answered(
					faults.beforeSettle === 'hang'
						? hang(res)
						: send(res, 500, { error: 'internal error before settling' }),
				),
		},
		{
			at: 'verified',
			fault: 'settleFails',
			hook: ({ res }) => answered(paymentRequired(res, 'settlement failed (fault switch)')),
		},
		{
			at: 'settled',
			fault: 'afterSettle',
			hook: ({ res, settlementHeader }) => {
				if (faults.afterSettle === 'hang') return answered(hang(res));
				if (faults.afterSettle === 'garbled')
					return answered(send(res, 200, '{"jobId": "oops', settlementHeader));
				if (faults.afterSettle === 'huge')
					return answered(
						send(
							res,
							200,
							`{"jobId":"big","pad":"${'a'.repeat(20 * 1024 * 1024)}"}`,
							settlementHeader,
						),
					);
				return answered(
					send(res, 500, { error: 'internal error after settling' }, settlementHeader),
				);
			},
		},
		{
			at: 'settled',
			fault: 'noJobId',
			hook: ({ res, settlementHeader }) =>
				answered(send(res, 200, { ok: true, note: 'no job here' }, settlementHeader)),
		},
	];

	/** Runs the hooks of one step whose fault is switched on (for this prompt, with onlyPrompt). */
	const faultAt = async (
		at: 'paid' | 'verified' | 'settled',
		prompt: unknown,
		step: Step,
	): Promise<boolean> => {
		if (faults.onlyPrompt !== undefined && faults.onlyPrompt !== prompt) return false;
		for (const { at: when, fault, hook } of FAULT_HOOKS) {
			if (
				when === at &&
				faults[fault] !== undefined &&
				faults[fault] !== false &&
				(await hook(step))
			)
				return true;
		}
		return false;
	};

	/** A 200 with a job and a settlement header claiming a transaction that never happened. */
	const forgedAnswer = (res: http.ServerResponse) => {
		const forged = Buffer.from(
			JSON.stringify({
				success: true,
				transaction: `0x${'ab'.repeat(32)}`,
				network: 'base',
				payer: '0x0',
			}),
		).toString('base64');
		const name = requirements().x402Version === 1 ? 'x-payment-response' : 'payment-response';
		const id = randomUUID();
		return send(
			res,
			200,
			{
				jobId: id,
				message: 'ok',
				statusUrl: `${baseUrl}/api/ai/generations/status/${id}`,
				timestamp: new Date().toISOString(),
				statusCode: 200,
			},
			{ [name]: forged },
		);
	};

	const parseJson = (text: string): Record<string, unknown> | undefined => {
		try {
			const value: unknown = JSON.parse(text || '{}');
			return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
		} catch {
			return undefined;
		}
	};

	/** The nano-banana endpoint: 402 without payment; with one: verify, validate, settle, answer the job. */
	const generate = async (req: http.IncomingMessage, res: http.ServerResponse, raw: string) => {
		counts.generate++;
		const signature = (req.headers['payment-signature'] ?? req.headers['x-payment']) as
			| string
			| undefined;
		if (!signature) {
			counts.unpaid++;
			if (faults.unpaidRedirect) return send(res, 307, '', { location: faults.unpaidRedirect });
			return paymentRequired(res, 'X-PAYMENT header is required');
		}
		counts.paid++;
		paymentHeaders.push(signature);
		flight.now++;
		flight.max = Math.max(flight.max, flight.now);
		res.on('close', () => flight.now--);
		const body = parseJson(raw);
		const step: Step = { res };
		if (await faultAt('paid', body?.prompt, step)) return;

		// Verify the payment against the real terms.
		const payload = parseJson(Buffer.from(signature, 'base64').toString('utf8'));
		if (!payload) return paymentRequired(res, 'invalid payment header');
		const paymentId = paymentIdOf(payload);
		if (options.paymentIdentifier?.required && !paymentId)
			return paymentRequired(res, 'payment-identifier is required');
		const kept = paymentId ? answersById.get(paymentId) : undefined;
		if (kept) {
			// The same id: the identical payment gets the kept answer, never a second settlement.
			if (kept.header !== signature)
				return send(res, 409, { error: 'payment id already used with another payment' });
			counts.replayed++;
			return send(res, 200, kept.body, kept.headers);
		}
		const reqs = requirements();
		const requirement = reqs.accepts[0] as never;
		const verified = await options.facilitator
			.verify(payload as never, requirement)
			.catch((e: Error) => ({ isValid: false, invalidReason: e.message }));
		if (!verified.isValid)
			return paymentRequired(res, `payment invalid: ${verified.invalidReason ?? 'unknown'}`);
		if (!body) return send(res, 400, { error: 'body must be JSON' });
		const problem = validate(body);
		if (problem) return send(res, 400, { error: problem, statusCode: 400 });
		if (await faultAt('verified', body.prompt, step)) return;

		// Settle. The service goes on settling even if the client is gone meanwhile (a worker that died).
		if (options.settleDelayMs) await new Promise((r) => setTimeout(r, options.settleDelayMs));
		const settled = await options.facilitator
			.settle(payload as never, requirement)
			.catch((e: Error) => ({
				success: false,
				errorReason: e.message,
				transaction: '',
				network: 'base',
				payer: undefined,
			}));
		if (!settled.success)
			return paymentRequired(res, `settlement failed: ${settled.errorReason ?? 'unknown'}`);
		counts.settled++;
		const headerName = reqs.x402Version === 1 ? 'x-payment-response' : 'payment-response';
		step.settlementHeader = {
			[headerName]: Buffer.from(
				JSON.stringify({
					success: true,
					transaction: settled.transaction,
					network: settled.network,
					payer: settled.payer,
				}),
			).toString('base64'),
		};
		if (await faultAt('settled', body.prompt, step)) return;

		// Answer with the job.
		const index = jobIndex++;
		const duration =
			typeof options.jobDurationMs === 'function'
				? options.jobDurationMs(index)
				: (options.jobDurationMs ?? 300);
		const job = addJob({
			request: body,
			durationMs: body.sync_mode === true ? 0 : duration,
			index,
			payer: settled.payer,
			transaction: settled.transaction,
		});
		const answer: Record<string, unknown> = {
			jobId: job.id,
			message: body.sync_mode === true ? 'Image generated' : 'Image generation started',
			statusUrl: `${baseUrl}/api/ai/generations/status/${job.id}`,
			timestamp: new Date(job.createdAt).toISOString(),
			statusCode: 200,
		};
		if (body.sync_mode === true) {
			const images = imagesOf(job);
			if (
				faults.syncImageUrl &&
				(faults.onlyPrompt === undefined || faults.onlyPrompt === body.prompt)
			)
				images[0].url = faults.syncImageUrl;
			Object.assign(answer, { status: 'completed', images });
		}
		if (paymentId)
			answersById.set(paymentId, {
				header: signature,
				body: answer,
				headers: step.settlementHeader,
			});
		if (faults.loseAnswerOnce) {
			faults.loseAnswerOnce = false;
			return answered(res.socket?.destroy());
		}
		return send(res, 200, answer, step.settlementHeader);
	};

	const status = (res: http.ServerResponse, id: string) => {
		counts.status++;
		polls.set(id, (polls.get(id) ?? 0) + 1);
		if (faults.statusStatus)
			return send(res, faults.statusStatus, {
				error: `status ${faults.statusStatus} (fault switch)`,
			});
		if (faults.statusTransientErrors) {
			const left = transientLeft.get(id) ?? faults.statusTransientErrors;
			if (left > 0) {
				transientLeft.set(id, left - 1);
				return send(res, 503, { error: 'temporarily unavailable' });
			}
		}
		if (faults.statusGarbled) return send(res, 200, '<html>Bad gateway</html>');
		const job = jobs.get(id);
		if (!job) return send(res, 404, { error: 'job not found' });
		const done = Date.now() >= job.readyAt;
		if (done && !noticedAt.has(id)) noticedAt.set(id, Date.now());
		const retryAfter =
			!done && faults.retryAfterSeconds
				? { 'retry-after': String(faults.retryAfterSeconds) }
				: undefined;
		if (options.statusShape === 'fal') {
			const state = !done
				? Date.now() - job.createdAt < 100
					? 'IN_QUEUE'
					: 'IN_PROGRESS'
				: 'COMPLETED';
			return send(
				res,
				200,
				{
					status: state,
					request_id: job.id,
					...(done ? { response_url: `${baseUrl}/api/ai/generations/result/${job.id}` } : {}),
					...(done && faults.jobFails ? { error: faults.jobFails } : {}),
				},
				retryAfter,
			);
		}
		if (done && faults.jobFails)
			return send(res, 200, { jobId: id, status: 'failed', error: faults.jobFails });
		return send(
			res,
			200,
			{
				jobId: id,
				status: done ? 'completed' : 'processing',
				...(done ? { images: imagesOf(job) } : {}),
			},
			retryAfter,
		);
	};

	const server = http.createServer((req, res) => {
		void readBody(req).then(async (raw) => {
			if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
			const url = new URL(req.url ?? '/', baseUrl);
			const path = url.pathname;
			try {
				if (req.method === 'POST' && path === NANO_BANANA_PATH)
					return await generate(req, res, raw.toString('utf8'));
				let m = /^\/api\/ai\/generations\/status\/([\w-]+)$/.exec(path);
				if (req.method === 'GET' && m) return status(res, m[1]);
				m = /^\/api\/ai\/generations\/result\/([\w-]+)$/.exec(path);
				if (req.method === 'GET' && m) {
					counts.result++;
					const job = jobs.get(m[1]);
					if (!job) return send(res, 404, { error: 'job not found' });
					return send(res, 200, { images: imagesOf(job), seed: job.request.seed ?? 42 });
				}
				m = /^\/images\/([\w-]+)\/(\d+)\.(png|jpeg|webp)$/.exec(path);
				if (req.method === 'GET' && m) {
					counts.image++;
					const job = jobs.get(m[1]);
					if (!job) return send(res, 404, { error: 'image not found' });
					const format = m[3] as ImageFormat;
					const key = `${job.id}.${format}`;
					let bytes = rendered.get(key);
					if (!bytes) {
						bytes = await makeImage(format, (job.request.aspect_ratio as string) ?? '1:1', {
							prompt: typeof job.request.prompt === 'string' ? job.request.prompt : undefined,
							seed: job.index,
							size: options.imageSize,
							minBytes: options.imageBytes,
						});
						// Padded benchmark images are not kept: they exist to be large.
						if (!options.imageBytes) rendered.set(key, bytes);
					}
					res.writeHead(200, {
						'content-type': MIME[format],
						'content-length': String(bytes.length),
					});
					return res.end(bytes);
				}
				return send(res, 404, { error: 'not found' });
			} catch (error) {
				return send(res, 500, { error: (error as Error).message });
			}
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

	return {
		url: baseUrl,
		endpoint: `${baseUrl}${NANO_BANANA_PATH}`,
		faults,
		options,
		jobs,
		counts,
		get maxInFlight() {
			return flight.max;
		},
		paymentHeaders,
		polls,
		noticedAt,
		addJob,
		reset() {
			for (const key of Object.keys(faults)) delete (faults as Record<string, unknown>)[key];
			for (const key of Object.keys(options) as Array<keyof GatewayOptions>)
				if (!(key in initial)) delete options[key];
			Object.assign(options, initial);
			for (const key of Object.keys(counts)) counts[key as keyof typeof counts] = 0;
			paymentHeaders.length = 0;
			flight.max = 0;
			polls.clear();
			noticedAt.clear();
			transientLeft.clear();
			jobs.clear();
			answersById.clear();
			jobIndex = 0;
		},
		async close() {
			for (const res of hanging) res.destroy();
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}

/** The payment id a v2 payment payload carries (payment-identifier), if any. */
function paymentIdOf(payload: Record<string, unknown>): string | undefined {
	const extensions = payload.extensions as Record<string, { info?: { id?: unknown } }> | undefined;
	const id = extensions?.['payment-identifier']?.info?.id;
	return typeof id === 'string' ? id : undefined;
}
