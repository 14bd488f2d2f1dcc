/**
 * The one poller: bounded, cancellable, with an age-based schedule, Retry-After and the time left.
 * It never pays: a 402 ends the poll with an error.
 *
 * Schedule: polls are anchored on the clock, not chained after answers (a slow answer does not
 * push every later poll back). The gap after a poll grows with how long the job has been
 * waited for: Poll Interval while the job is young, then a quarter of its age (a job that has
 * run 20 s is checked every 5 s), never above Max Poll Interval. So the time between a job
 * finishing and the node noticing stays within one Poll Interval for short jobs and within a
 * quarter of the job's age for long ones, with few requests. A fresh job (the service's
 * timestamp says it started less than Poll Interval ago) is first checked at Poll Interval;
 * an older or undated one at once. Retry-After is honoured; the last check lands on Max Wait.
 */

import { JobError, NanoBananaError, resultOf } from '../errors';
import {
	DeadlineError,
	excerptAfter,
	excerptOf,
	header,
	type HttpFn,
	type HttpResponse,
} from '../http';
import { DOWNLOAD_GRACE_MS, MAX_TRANSIENT_ERRORS, POLL_REQUEST_TIMEOUT_MS } from '../limits';
import { assertAllowedUrl, redactUrl, type HostRule } from '../urls';
import { findImages, readStatus, type ImageRef } from './shapes';

export interface PollOptions {
	http: HttpFn;
	/**
	 * Sleeps, rejecting when the execution is cancelled (n8n-workflow's `sleep` with the cancel
	 * signal).
	 */
	sleep: (ms: number) => Promise<void>;
	/** Shortest gap between polls (the gap for a young job). */
	intervalMs: number;
	/**
	 * When the service says the job started (its answer's timestamp); decides whether the first check
	 * waits.
	 */
	submittedAt?: number;
	/** Backoff ceiling. */
	maxIntervalMs: number;
	/** Give up after this long; no status request runs past it. */
	maxWaitMs: number;
	/** Hosts that may be fetched, on every redirect hop too. */
	allowedHosts: HostRule[];
	/** Consecutive transient failures (network, 5xx, 429) tolerated before failing. */
	maxTransientErrors?: number;
	/** Deadline of one status or result request (capped by the time left). */
	requestTimeoutMs?: number;
	now?: () => number;
	random?: () => number;
}

export type PollResult =
	| { outcome: 'done'; images: ImageRef[]; body: unknown; polls: number; waitedMs: number }
	| { outcome: 'timeout'; lastStatus?: string; polls: number; waitedMs: number };

/**
 * The gap after a poll, as a share of how long the job has been waited for (above Poll Interval).
 */
export const AGE_FRACTION = 0.25;
/** Spread of the gap after a failed poll, so retries of many items do not land together. */
const JITTER = 0.1;

/** The gap before the next poll of a job waited for `ageMs` so far. */
export function nextGapMs(ageMs: number, intervalMs: number, maxIntervalMs: number): number {
	return Math.min(Math.max(ageMs * AGE_FRACTION, intervalMs), maxIntervalMs);
}

export async function pollJob(statusUrl: string, options: PollOptions): Promise<PollResult> {
	const now = options.now ?? Date.now;
	const random = options.random ?? Math.random;
	const maxTransient = options.maxTransientErrors ?? MAX_TRANSIENT_ERRORS;
	const statusHref = assertAllowedUrl(statusUrl, options.allowedHosts, 'Status URL').href;
	const started = now();
	const deadline = started + options.maxWaitMs;
	const cap = options.requestTimeoutMs ?? POLL_REQUEST_TIMEOUT_MS;
	// Never wait on one request longer than Max Wait leaves (but give a last poll a second).
	const timeLeft = (until: number) => Math.min(cap, Math.max(1_000, until - now()));
	let polls = 0;
	let transient = 0;
	let lastStatus: string | undefined;
	// A job the service dated less than Poll Interval ago cannot be worth a look yet.
	const submittedAgo =
		options.submittedAt !== undefined && Number.isFinite(options.submittedAt)
			? started - options.submittedAt
			: undefined;
	if (submittedAgo !== undefined && submittedAgo >= 0 && submittedAgo < options.intervalMs) {
		await options.sleep(Math.min(options.intervalMs - submittedAgo, options.maxWaitMs));
	}

	for (;;) {
		polls++;
		const sentAt = now();
		let response: HttpResponse | undefined;
		let failure: string | undefined;
		const sent = await resultOf(
			options.http({
				method: 'GET',
				url: statusHref,
				timeoutMs: timeLeft(deadline),
				followRedirects: options.allowedHosts,
			}),
		);
		if (sent.ok) response = sent.value;
		// A slow answer is worth another try; a refused redirect or an oversized answer is not.
		else if (sent.error instanceof NanoBananaError && !(sent.error instanceof DeadlineError))
			throw sent.error;
		else failure = (sent.error as Error).message;
		let retryAfterMs: number | undefined;
		if (response) {
			retryAfterMs = parseRetryAfter(header(response, 'retry-after'), now());
			if (response.status === 429 || response.status >= 500) {
				failure = `HTTP ${response.status}`;
			} else {
				transient = 0;
				const reading = checkStatusResponse(response, statusUrl);
				if (reading.state === 'done') {
					let images = reading.images;
					let body = response.body;
					if (!images.length && reading.resultUrl) {
						const result = await fetchResult(
							reading.resultUrl,
							options,
							timeLeft(deadline + DOWNLOAD_GRACE_MS),
						);
						images = result.images;
						body = result.body;
					}
					if (!images.length)
						throw unreadable('The job finished but its answer holds no image URL', body, statusUrl);
					return { outcome: 'done', images, body, polls, waitedMs: now() - started };
				}
				if (reading.state === 'failed') {
					throw new JobError(`The job failed: ${reading.reason}`, {
						hint: 'The service reported the failure; check the prompt (some prompts are refused) and generate again.',
						details: { statusUrl: redactUrl(statusHref), reason: reading.reason },
					});
				}
				lastStatus = reading.word;
			}
		}
		if (failure !== undefined) {
			transient++;
			if (transient > maxTransient) {
				throw new JobError(
					`Polling ${redactUrl(statusHref)} failed ${transient} times in a row (last: ${failure})`,
					{
						hint: 'The status service is unreachable or failing; try again later, or raise Max Wait.',
						details: { statusUrl: redactUrl(statusHref) },
						httpStatus: response?.status,
					},
				);
			}
		}
		const remaining = deadline - now();
		if (remaining <= 0) return { outcome: 'timeout', lastStatus, polls, waitedMs: now() - started };
		let gap = nextGapMs(sentAt - started, options.intervalMs, options.maxIntervalMs);
		if (failure !== undefined) gap *= 1 - JITTER + 2 * JITTER * random();
		// Anchored on when this poll was sent: the answer's own latency is not added to the gap.
		const wait = Math.min(Math.max(sentAt + gap - now(), retryAfterMs ?? 0), remaining);
		await options.sleep(Math.max(0, Math.round(wait)));
	}
}

type Reading = ReturnType<typeof readStatus>;

function checkStatusResponse(
	response: HttpResponse,
	url: string,
): Exclude<Reading, { state: 'unreadable' }> {
	if (response.status === 402) {
		throw new JobError(`The status URL asks for payment (HTTP 402): ${redactUrl(url)}`, {
			hint: 'Wait for Job never pays. The service wants payment for polling: this is not a job status URL this node can follow.',
			details: { statusUrl: redactUrl(url) },
			httpStatus: 402,
		});
	}
	if (response.status === 404 || response.status === 410) {
		throw new JobError(`The job was not found (HTTP ${response.status}) at ${redactUrl(url)}`, {
			hint: 'Check that Status URL comes from the Generate node of the same run. Jobs may expire on the service after a while.',
			details: { statusUrl: redactUrl(url) },
			httpStatus: response.status,
		});
	}
	if (response.status < 200 || response.status >= 300) {
		throw new JobError(
			`The status URL answered HTTP ${response.status}${excerptAfter(response.body, 300)}`,
			{
				details: { statusUrl: redactUrl(url) },
				httpStatus: response.status,
			},
		);
	}
	const reading = readStatus(response.body);
	if (reading.state === 'unreadable')
		throw unreadable('The job status could not be read', response.body, url);
	return reading;
}

async function fetchResult(
	url: string,
	options: PollOptions,
	timeoutMs: number,
): Promise<{ images: ImageRef[]; body: unknown }> {
	const href = assertAllowedUrl(url, options.allowedHosts, 'result URL').href;
	const response = await options.http({
		method: 'GET',
		url: href,
		timeoutMs,
		followRedirects: options.allowedHosts,
	});
	if (response.status === 402 || response.status === 404 || response.status === 410)
		checkStatusResponse(response, url);
	if (response.status < 200 || response.status >= 300) {
		throw new JobError(
			`The job result at ${redactUrl(url)} answered HTTP ${response.status}${excerptAfter(response.body, 300)}`,
			{ details: { resultUrl: redactUrl(url) }, httpStatus: response.status },
		);
	}
	return { images: findImages(response.body), body: response.body };
}

function unreadable(message: string, body: unknown, url: string): JobError {
	return new JobError(`${message}${excerptAfter(body, 300)}`, {
		hint: 'The service answered in a shape this node does not know. Open an issue with this excerpt so the shape can be added.',
		details: { statusUrl: redactUrl(url), excerpt: excerptOf(body, 300) },
	});
}

/** Retry-After as seconds or an HTTP date, in ms from now. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
	if (!value) return undefined;
	if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value) * 1000;
	const date = Date.parse(value);
	return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
