import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { sleep } from 'n8n-workflow';
import { downloadImage } from '../shared/binary';
import { inputError, NanoBananaError } from '../shared/errors';
import { n8nHttp, type HttpFn } from '../shared/http';
import { intOption, isToolRun, limiter, type Limiter } from '../shared/items';
import { pollJob } from '../shared/jobs/poller';
import { DOWNLOAD_GRACE_MS, DOWNLOAD_TIMEOUT_MS, DOWNLOADS_AT_ONCE } from '../shared/limits';
import { defaultHosts, parseHostList, redactText } from '../shared/urls';


export interface WaitRun {
	http: HttpFn;
	/** A problem with the run-wide options: every item fails with it. */
	runError?: unknown;
	concurrency: number;
	downloads: Limiter;
	tool: boolean;
	signal?: AbortSignal;
}

export function startWait(context: IExecuteFunctions): WaitRun {
	const first = context.getNodeParameter('options', 0, {}) as IDataObject;
	let concurrency = 50;
	let runError: unknown;
	try {
		concurrency = intOption(first.concurrency, 'Concurrency', 50, 1, 200);
	} catch (error) {
		runError = error;
	}
	return {
		http: n8nHttp(context),
		runError,
		concurrency,
		downloads: limiter(DOWNLOADS_AT_ONCE),
		tool: isToolRun(context),
		signal: context.getExecutionCancelSignal(),
	};
}

function seconds(context: IExecuteFunctions, name: string, label: string, itemIndex: number, fallback: number, min: number, max: number): number {
	const value = Number(context.getNodeParameter(name, itemIndex, fallback));
	if (!Number.isFinite(value) || value < min || value > max) {
		throw inputError(label, `must be between ${min} and ${max}, got ${String(value)}`, `E.g. ${fallback}.`);
	}
	return value;
}

function oneOf(value: unknown, label: string, allowed: string[]): string {
	if (typeof value !== 'string' || !allowed.includes(value)) {
		throw inputError(label, `${JSON.stringify(value)} is not allowed`, `Use one of: ${allowed.join(', ')}.`);
	}
	return value;
}

export async function waitForJob(context: IExecuteFunctions, run: WaitRun, itemIndex: number): Promise<INodeExecutionData[]> {
	if (run.runError) throw run.runError;
	const started = Date.now();
	const input = context.getInputData()[itemIndex]?.json ?? {};
	const statusUrl = String(context.getNodeParameter('statusUrl', itemIndex, '') ?? '').trim();
	// An error item from upstream (Generate with Continue On Fail: refused or failed, its payment facts in it)
	// has no job to wait for: it is passed on unchanged, so one refused item does not fail the others' images.
	if (!statusUrl && typeof input.error === 'string') return [{ json: { ...input } }];
	if (!statusUrl) throw inputError('Status URL', 'is empty', 'Map statusUrl from the Nano-Banana Generate output, e.g. {{ $json.statusUrl }}.');
	const intervalS = seconds(context, 'pollIntervalSeconds', 'Poll Interval (Seconds)', itemIndex, 1, 0.2, 600);
	const maxIntervalS = seconds(context, 'maxPollIntervalSeconds', 'Max Poll Interval (Seconds)', itemIndex, 10, 0.2, 600);
	if (maxIntervalS < intervalS) throw inputError('Max Poll Interval (Seconds)', `(${maxIntervalS}) is below Poll Interval (${intervalS})`, 'Make it at least as long as Poll Interval.');
	const maxWaitMin = seconds(context, 'maxWaitMinutes', 'Max Wait (Minutes)', itemIndex, 10, 0.05, 240);
	const onTimeout = oneOf(context.getNodeParameter('onTimeout', itemIndex, 'fail'), 'On Timeout', ['fail', 'output']);
	const downloadImages = context.getNodeParameter('downloadImages', itemIndex, true);
	if (typeof downloadImages !== 'boolean') throw inputError('Download Images', `must be true or false, got ${JSON.stringify(downloadImages)}`, 'Use a boolean.');
	const download = downloadImages && !run.tool;
	const field = download ? String(context.getNodeParameter('binaryPropertyName', itemIndex, 'data')).trim() : 'data';
	if (!/^[\w.-]{1,100}$/.test(field)) throw inputError('Binary Field', `"${field.slice(0, 100)}" is not a valid field name`, 'Use letters, digits, "_", "-" or ".", e.g. data.');
	const perJob = oneOf(context.getNodeParameter('output', itemIndex, 'perImage'), 'Output', ['perImage', 'perJob']) === 'perJob';
	const options = context.getNodeParameter('options', itemIndex, {}) as IDataObject;
	// What the node may fetch is set on the node, never by item data.
	const allowedHosts = [...defaultHosts(), ...parseHostList(options.allowedHosts)];
	const jobId = typeof input.jobId === 'string' || typeof input.jobId === 'number' ? String(input.jobId) : jobIdFromUrl(statusUrl);

	const result = await pollJob(statusUrl, {
		http: run.http,
		sleep: async (ms) => await sleep(ms, run.signal),
		intervalMs: intervalS * 1000,
		maxIntervalMs: maxIntervalS * 1000,
		maxWaitMs: maxWaitMin * 60_000,
		allowedHosts,
		// Generate's output carries the service's timestamp of the job: a fresh job is first checked after Poll Interval.
		submittedAt: typeof input.timestamp === 'string' ? Date.parse(input.timestamp) : undefined,
	});
	const facts = { jobId, statusUrl: redactText(statusUrl), polls: result.polls, waitedMs: result.waitedMs };
	// Downloads end by Max Wait + DOWNLOAD_GRACE_MS from the start of this item, whatever the server does.
	const itemDeadline = started + maxWaitMin * 60_000 + DOWNLOAD_GRACE_MS;
	const downloadTimeout = () => Math.min(DOWNLOAD_TIMEOUT_MS, Math.max(1_000, itemDeadline - Date.now()));
	if (result.outcome === 'timeout') {
		if (onTimeout === 'output') return [{ json: { ...facts, status: 'timeout', lastStatus: result.lastStatus ?? null } }];
		throw new NanoBananaError(
			'job',
			`The job was still running after ${maxWaitMin} minute(s) (${result.polls} checks, last status "${result.lastStatus ?? 'unknown'}")`,
			'Raise Max Wait, or set On Timeout to "Output the Item" and loop back to this node.',
			{ ...facts, status: 'timeout' },
		);
	}
	if (!download) {
		const images = result.images.map((img, index) => ({ index, url: redactText(img.url), mimeType: img.contentType ?? null, width: img.width ?? null, height: img.height ?? null }));
		if (perJob || run.tool) return [{ json: { ...facts, status: 'completed', imageUrls: images.map((i) => i.url), images } }];
		return images.map((image) => ({ json: { ...facts, status: 'completed', image } }));
	}
	const downloaded = await Promise.all(
		result.images.map(async (ref, index) => {
			const image = await run.downloads(
				async () => await downloadImage(context, run.http, ref, { allowedHosts, baseName: `nano-banana-${jobId}-${index}`, timeoutMs: downloadTimeout() }),
			);
			return {
				meta: { index, url: image.url, mimeType: image.mimeType, fileName: image.fileName, sizeBytes: image.sizeBytes, width: image.width ?? null, height: image.height ?? null },
				binary: image.binary,
			};
		}),
	);
	if (perJob) {
		return [
			{
				json: { ...facts, status: 'completed', images: downloaded.map((d) => d.meta) },
				binary: Object.fromEntries(downloaded.map((d, i) => [i === 0 ? field : `${field}_${i}`, d.binary])),
			},
		];
	}
	return downloaded.map((d) => ({ json: { ...facts, status: 'completed', image: d.meta }, binary: { [field]: d.binary } }));
}

function jobIdFromUrl(url: string): string {
	try {
		return new URL(url).pathname.split('/').filter(Boolean).pop() ?? url;
	} catch {
		return url;
	}
}
