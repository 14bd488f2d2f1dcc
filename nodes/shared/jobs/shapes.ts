/**
 * The one table of job-status shapes this package understands, and the reader
 * that applies it. A status answer becomes: still running, done (with image
 * references, or a result URL to fetch them from), failed (with the reason),
 * or unreadable.
 */

export interface ImageRef {
	url: string;
	contentType?: string;
	fileName?: string;
	width?: number;
	height?: number;
}

export type StatusReading =
	| { state: 'pending'; word?: string }
	| { state: 'done'; images: ImageRef[]; resultUrl?: string }
	| { state: 'failed'; reason: string }
	| { state: 'unreadable' };

/** Status words, lower-cased, `-` and spaces as `_`. */
export const STATUS_WORDS: Readonly<Record<'pending' | 'done' | 'failed', readonly string[]>> =
	Object.freeze({
		pending: Object.freeze([
			'pending',
			'queued',
			'in_queue',
			'in_progress',
			'processing',
			'running',
			'started',
			'starting',
			'submitted',
			'waiting',
			'created',
			'generating',
			'accepted',
			'scheduled',
			'active',
		]),
		done: Object.freeze([
			'completed',
			'complete',
			'succeeded',
			'success',
			'successful',
			'done',
			'finished',
			'ready',
			'ok',
		]),
		failed: Object.freeze([
			'failed',
			'failure',
			'error',
			'errored',
			'canceled',
			'cancelled',
			'aborted',
			'rejected',
			'expired',
			'timeout',
			'timed_out',
			'nsfw',
			'blocked',
		]),
	});

/** Where a status word may live. */
const STATUS_PATHS = [
	['status'],
	['state'],
	['job_status'],
	['jobStatus'],
	['data', 'status'],
	['data', 'state'],
	['result', 'status'],
	['job', 'status'],
];

/** Where images may live, in order of preference. */
const IMAGE_PATHS = [
	['images'],
	['result', 'images'],
	['data', 'images'],
	['output', 'images'],
	['response', 'images'],
	['result', 'output'],
	['output'],
	['data', 'output'],
	['result'],
	['data'],
	['imageUrls'],
	['image_urls'],
	['imageUrl'],
	['image_url'],
	['image'],
	['url'],
];

/** Where a fal-style queue points at the result once completed. */
const RESULT_URL_PATHS = [['response_url'], ['responseUrl'], ['result_url'], ['resultUrl']];

const REASON_PATHS = [
	['error', 'message'],
	['error'],
	['reason'],
	['message'],
	['detail'],
	['data', 'error'],
	['failure_reason'],
	['logs'],
];

function at(obj: unknown, path: string[]): unknown {
	let cur = obj;
	for (const key of path) {
		if (!cur || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
		cur = (cur as Record<string, unknown>)[key];
	}
	return cur;
}

function normalizeWord(value: unknown): string | undefined {
	return typeof value === 'string'
		? value
				.trim()
				.toLowerCase()
				.replace(/[\s-]+/g, '_')
		: undefined;
}

function isImageUrl(value: unknown): value is string {
	return typeof value === 'string' && (/^https?:\/\//i.test(value) || /^data:image\//i.test(value));
}

function toRef(value: unknown): ImageRef | undefined {
	if (isImageUrl(value)) return { url: value };
	if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
	const v = value as Record<string, unknown>;
	const url = [v.url, v.uri, v.href, v.image_url, v.imageUrl, v.src].find(isImageUrl);
	if (!url) return undefined;
	const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);
	const str = (x: unknown) => (typeof x === 'string' && x ? x : undefined);
	return {
		url,
		contentType: str(v.content_type) ?? str(v.contentType) ?? str(v.mimeType) ?? str(v.mime_type),
		fileName: str(v.file_name) ?? str(v.fileName),
		width: num(v.width),
		height: num(v.height),
	};
}

/** Image references found in a status or result body. */
export function findImages(body: unknown): ImageRef[] {
	for (const path of IMAGE_PATHS) {
		const value = at(body, path);
		if (value === undefined || value === null) continue;
		const list = Array.isArray(value) ? value : [value];
		const refs = list.map(toRef).filter((r): r is ImageRef => r !== undefined);
		if (refs.length) return refs;
		// A nested object (e.g. output: {images: [...]}) is covered by a later, deeper path.
	}
	return [];
}

function findReason(body: unknown): string | undefined {
	for (const path of REASON_PATHS) {
		const value = at(body, path);
		if (typeof value === 'string' && value.trim()) return value.trim();
	}
	return undefined;
}

export function readStatus(body: unknown): StatusReading {
	if (!body || typeof body !== 'object' || Array.isArray(body)) return { state: 'unreadable' };
	let word: string | undefined;
	for (const path of STATUS_PATHS) {
		word = normalizeWord(at(body, path));
		if (word) break;
	}
	const images = findImages(body);
	if (word && STATUS_WORDS.failed.includes(word)) {
		return { state: 'failed', reason: findReason(body) ?? `the job ended with status "${word}"` };
	}
	if (word && STATUS_WORDS.pending.includes(word)) return { state: 'pending', word };
	const resultUrl = RESULT_URL_PATHS.map((p) => at(body, p)).find(
		(v): v is string => typeof v === 'string' && /^https?:\/\//i.test(v),
	);
	if (word && STATUS_WORDS.done.includes(word)) {
		// fal-style: COMPLETED may still carry an error.
		const error = at(body, ['error']);
		if (typeof error === 'string' && error.trim()) return { state: 'failed', reason: error.trim() };
		return { state: 'done', images, resultUrl: images.length ? undefined : resultUrl };
	}
	if (!word && images.length) return { state: 'done', images };
	return { state: 'unreadable' };
}
