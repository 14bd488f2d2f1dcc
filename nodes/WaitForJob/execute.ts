/**
 * One Wait for Job item: poll the job until it ends (bounded, cancellable), then output its
 * images as binary (or their URLs). It never pays.
 */

import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { sleep } from 'n8n-workflow';
import { downloadImage, imageMeta } from '../shared/binary';
import { defaultHosts } from '../shared/dopamint';
import { InputError, JobError } from '../shared/errors';
import type { HttpFn } from '../shared/http';
import { n8nHttp } from '../shared/transports';
import { signingInHttp } from '../shared/x402/unpaid';
import { signInFor } from './signIn';
import { isToolRun, limiter, type Limiter } from '../shared/items';
import { pollJob } from '../shared/jobs/poller';
import { DOWNLOAD_GRACE_MS, DOWNLOAD_TIMEOUT_MS, DOWNLOADS_AT_ONCE } from '../shared/limits';
import { parseHostList, redactText } from '../shared/urls';
import {
	binaryField,
	notFromModel,
	numberWithin,
	oneOf,
	wholeNumber,
	yesNo,
} from '../shared/validate';

export interface WaitRun {
	http: HttpFn;
	concurrency: number;
	downloads: Limiter;
	tool: boolean;
	signal?: AbortSignal;
}

/** The run, or why none of its items can be waited for (a run-wide option). */
export type WaitSetup = ({ ok: true; run: WaitRun } | { ok: false; error: unknown }) & {
	concurrency: number;
};

export function setUpWait(context: IExecuteFunctions): WaitSetup {
	try {
		// What the node may fetch is the author's choice, never a model's.
		notFromModel(context.getNode().parameters, { 'options.allowedHosts': 'Allowed Hosts' });
		const first = context.getNodeParameter('options', 0, {}) as IDataObject;
		const concurrency = wholeNumber(first.concurrency, 'Concurrency', 50, 1, 200);
		return {
			ok: true,
			concurrency,
			run: {
				http: signingInHttp(n8nHttp(context), signInFor(context)),
				concurrency,
				downloads: limiter(DOWNLOADS_AT_ONCE),
				tool: isToolRun(context),
				signal: context.getExecutionCancelSignal(),
			},
		};
	} catch (error) {
		return { ok: false, error, concurrency: 50 };
	}
}

export async function waitForJob(
	context: IExecuteFunctions,
	setup: WaitSetup,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	if (!setup.ok) throw setup.error;
	const run = setup.run;
	const started = Date.now();
	const input = context.getInputData()[itemIndex]?.json ?? {};
	const statusUrl = String(context.getNodeParameter('statusUrl', itemIndex, '') ?? '').trim();
	// An error item from upstream (Generate with Continue On Fail: refused or failed, its payment
	// facts in it)
	// has no job to wait for: it is passed on unchanged, so one refused item does not fail the others'
	// images.
	if (!statusUrl && typeof input.error === 'string') return [{ json: { ...input } }];
	if (!statusUrl)
		throw new InputError(
			'Status URL',
			'is empty',
			'Map statusUrl from the Nano-Banana Generate output, e.g. {{ $json.statusUrl }}.',
		);
	const intervalS = numberWithin(
		context.getNodeParameter('pollIntervalSeconds', itemIndex, 1),
		'Poll Interval (Seconds)',
		1,
		0.2,
		600,
	);
	const maxIntervalS = numberWithin(
		context.getNodeParameter('maxPollIntervalSeconds', itemIndex, 10),
		'Max Poll Interval (Seconds)',
		10,
		0.2,
		600,
	);
	if (maxIntervalS < intervalS)
		throw new InputError(
			'Max Poll Interval (Seconds)',
			`(${maxIntervalS}) is below Poll Interval (${intervalS})`,
			'Make it at least as long as Poll Interval.',
		);
	const maxWaitMin = numberWithin(
		context.getNodeParameter('maxWaitMinutes', itemIndex, 10),
		'Max Wait (Minutes)',
		10,
		0.05,
		240,
	);
	const onTimeout = oneOf(context.getNodeParameter('onTimeout', itemIndex, 'fail'), 'On Timeout', [
		'fail',
		'output',
	]);
	const download =
		yesNo(context.getNodeParameter('downloadImages', itemIndex, true), 'Download Images') &&
		!run.tool;
	const field = download
		? binaryField(context.getNodeParameter('binaryPropertyName', itemIndex, 'data'))
		: 'data';
	const perJob =
		oneOf(context.getNodeParameter('output', itemIndex, 'perImage'), 'Output', [
			'perImage',
			'perJob',
		]) === 'perJob';
	const options = context.getNodeParameter('options', itemIndex, {}) as IDataObject;
	// What the node may fetch is set on the node, never by item data.
	const allowedHosts = [...defaultHosts(), ...parseHostList(options.allowedHosts)];
	const jobId =
		typeof input.jobId === 'string' || typeof input.jobId === 'number'
			? String(input.jobId)
			: jobIdFromUrl(statusUrl);

	const result = await pollJob(statusUrl, {
		http: run.http,
		sleep: async (ms) => await sleep(ms, run.signal),
		intervalMs: intervalS * 1000,
		maxIntervalMs: maxIntervalS * 1000,
		maxWaitMs: maxWaitMin * 60_000,
		allowedHosts,
		// Generate's output carries the service's timestamp of the job: a fresh job is first checked
		// after Poll Interval.
		submittedAt: typeof input.timestamp === 'string' ? Date.parse(input.timestamp) : undefined,
	});
	const facts = {
		jobId,
		statusUrl: redactText(statusUrl),
		polls: result.polls,
		waitedMs: result.waitedMs,
	};
	// Downloads end by Max Wait + DOWNLOAD_GRACE_MS from the start of this item, whatever the server
	// does.
	const itemDeadline = started + maxWaitMin * 60_000 + DOWNLOAD_GRACE_MS;
	const downloadTimeout = () =>
		Math.min(DOWNLOAD_TIMEOUT_MS, Math.max(1_000, itemDeadline - Date.now()));
	if (result.outcome === 'timeout') {
		if (onTimeout === 'output')
			return [{ json: { ...facts, status: 'timeout', lastStatus: result.lastStatus ?? null } }];
		throw new JobError(
			`The job was still running after ${maxWaitMin} minute(s) (${result.polls} checks, last status "${result.lastStatus ?? 'unknown'}")`,
			{
				hint: 'Raise Max Wait, or set On Timeout to "Output the Item" and loop back to this node.',
				details: { ...facts, status: 'timeout' },
			},
		);
	}
	if (!download) {
		const images = result.images.map((img, index) => ({
			index,
			url: redactText(img.url),
			mimeType: img.contentType ?? null,
			width: img.width ?? null,
			height: img.height ?? null,
		}));
		if (perJob || run.tool)
			return [
				{ json: { ...facts, status: 'completed', imageUrls: images.map((i) => i.url), images } },
			];
		return images.map((image) => ({ json: { ...facts, status: 'completed', image } }));
	}
	const downloaded = await Promise.all(
		result.images.map(async (ref, index) => {
			const image = await run.downloads(
				async () =>
					await downloadImage(context, run.http, ref, {
						allowedHosts,
						baseName: `nano-banana-${jobId}-${index}`,
						timeoutMs: downloadTimeout(),
					}),
			);
			return { meta: imageMeta(index, image), binary: image.binary };
		}),
	);
	if (perJob) {
		return [
			{
				json: { ...facts, status: 'completed', images: downloaded.map((d) => d.meta) },
				binary: Object.fromEntries(
					downloaded.map((d, i) => [i === 0 ? field : `${field}_${i}`, d.binary]),
				),
			},
		];
	}
	return downloaded.map((d) => ({
		json: { ...facts, status: 'completed', image: d.meta },
		binary: { [field]: d.binary },
	}));
}

function jobIdFromUrl(url: string): string {
	try {
		return new URL(url).pathname.split('/').filter(Boolean).pop() ?? url;
	} catch {
		return url;
	}
}
