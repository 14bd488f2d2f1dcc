/**
 * Dopamint's nano-banana API: the request body, its validation, and the shape
 * of the answer. No n8n UI code here.
 */

import { InputError } from './errors';
import type { HostRule } from './urls';

export const DOPAMINT_ENDPOINT = 'https://x402.dopamint.ai/api/ai/generations/images/nano-banana';
export const DOPAMINT_HOST = 'x402.dopamint.ai';
export const DOPAMINT_PAY_TO = '0x5054acbbdd6aed95231cbe833f7bf1db7c248bff';

/** What the nodes may fetch without options: Dopamint's host. Item data never adds to it. */
export function defaultHosts(): HostRule[] {
	return [{ host: DOPAMINT_HOST }];
}

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
] as const;
export const OUTPUT_FORMATS = ['jpeg', 'png', 'webp'] as const;
export const MAX_PROMPT_LENGTH = 10_000;

export type AspectRatio = (typeof ASPECT_RATIOS)[number];
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The body Dopamint takes. */
export interface GenerateBody {
	prompt: string;
	aspect_ratio: AspectRatio;
	output_format: OutputFormat;
	num_images: 1;
	sync_mode: boolean;
	limit_generations: boolean;
	seed?: number;
}

export interface GenerateInput {
	prompt: unknown;
	aspectRatio: unknown;
	outputFormat: unknown;
	seed: unknown;
	numImages: unknown;
	syncMode: unknown;
	limitGenerations: unknown;
}

/** Validates node parameters into the request body; throws an input error naming the field. */
export function buildGenerateBody(input: GenerateInput): GenerateBody {
	const prompt = typeof input.prompt === 'string' ? input.prompt.trim() : '';
	if (!prompt)
		throw new InputError(
			'Prompt',
			'is empty',
			'Describe the image to generate; if it comes from an expression, check that the input item has that field.',
		);
	const control = CONTROL_CHARACTERS.exec(prompt);
	if (control) {
		const code = control[0].codePointAt(0) ?? 0;
		throw new InputError(
			'Prompt',
			`contains the invisible control character U+${code.toString(16).toUpperCase().padStart(4, '0')} at position ${control.index + 1}`,
			'Remove control characters (such as NUL, ESC or text-direction overrides) from the prompt; new lines and tabs are fine. If the prompt comes from another system, clean it in a Set or Code node first.',
		);
	}
	if (prompt.length > MAX_PROMPT_LENGTH) {
		throw new InputError(
			'Prompt',
			`is ${prompt.length} characters long; at most ${MAX_PROMPT_LENGTH} are accepted`,
			'Shorten the prompt.',
		);
	}
	if (!ASPECT_RATIOS.includes(input.aspectRatio as AspectRatio)) {
		throw new InputError(
			'Aspect Ratio',
			`"${String(input.aspectRatio)}" is not allowed`,
			`Use one of: ${ASPECT_RATIOS.join(', ')}.`,
		);
	}
	if (!OUTPUT_FORMATS.includes(input.outputFormat as OutputFormat)) {
		throw new InputError(
			'Output Format',
			`"${String(input.outputFormat)}" is not allowed`,
			`Use one of: ${OUTPUT_FORMATS.join(', ')}.`,
		);
	}
	const numImages =
		typeof input.numImages === 'string' && input.numImages.trim() !== ''
			? Number(input.numImages)
			: input.numImages;
	if (numImages !== 1) {
		throw new InputError(
			'Number of Images',
			`${String(input.numImages)} is not allowed: the endpoint generates exactly 1 image per request`,
			'Set it to 1; send several items to get several images.',
		);
	}
	const seed = parseSeed(input.seed);
	for (const [field, value] of [
		['Sync Mode', input.syncMode],
		['Limit Generations', input.limitGenerations],
	] as const) {
		if (typeof value !== 'boolean')
			throw new InputError(
				field,
				`must be true or false, got ${JSON.stringify(value)}`,
				'Use a boolean (or an expression that returns one).',
			);
	}
	return {
		prompt,
		aspect_ratio: input.aspectRatio as AspectRatio,
		output_format: input.outputFormat as OutputFormat,
		num_images: 1,
		sync_mode: input.syncMode as boolean,
		limit_generations: input.limitGenerations as boolean,
		...(seed !== undefined ? { seed } : {}),
	};
}

/**
 * Characters a prompt may not carry: C0 and C1 controls except tab and new lines, and the
 * invisible format characters that reorder or hide text (bidi overrides and isolates,
 * zero-width space and direction marks, the BOM; zero-width joiners stay, emoji need them), which
 * can make a prompt read differently than it is.
 */
const CONTROL_CHARACTERS =
	// eslint-disable-next-line no-control-regex
	/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u061C\u200B\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF\uFFF9-\uFFFB]/u;

function parseSeed(value: unknown): number | undefined {
	if (value === undefined || value === null || (typeof value === 'string' && value.trim() === ''))
		return undefined;
	// A plain decimal whole number only: Number() would also read "0x10", "1e3" or " 12 ".
	if (typeof value === 'string' && !/^\d{1,16}$/.test(value.trim())) {
		throw new InputError(
			'Seed',
			`${JSON.stringify(value.slice(0, 40))} is not a plain whole number of 0 or more`,
			'Write the seed with the digits 0-9 only, like 42, or leave it empty for a random seed.',
		);
	}
	const n = typeof value === 'string' ? Number(value.trim()) : value;
	if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
		throw new InputError(
			'Seed',
			`${JSON.stringify(value)} is not a whole number of 0 or more`,
			'Leave it empty for a random seed, or give a whole number like 42.',
		);
	}
	return n;
}

/**
 * Dopamint's answer: `{jobId, message, statusUrl, timestamp, statusCode}`, plus images in sync
 * mode.
 */
export interface GenerateAnswer {
	jobId: string;
	message: string;
	statusUrl: string;
	timestamp: string;
	statusCode: number;
	/** Everything else the service sent (sync-mode images live here). */
	raw: Record<string, unknown>;
}

/** Reads the answer; undefined when it carries no job id. */
export function parseGenerateAnswer(body: unknown): GenerateAnswer | undefined {
	const b = (body ?? {}) as Record<string, unknown>;
	const jobId = b.jobId ?? b.job_id ?? b.id ?? b.request_id;
	const statusUrl = b.statusUrl ?? b.status_url;
	if (typeof jobId !== 'string' && typeof jobId !== 'number') return undefined;
	return {
		jobId: String(jobId),
		message: typeof b.message === 'string' ? b.message : '',
		statusUrl: typeof statusUrl === 'string' ? statusUrl : '',
		timestamp: typeof b.timestamp === 'string' ? b.timestamp : new Date().toISOString(),
		statusCode: typeof b.statusCode === 'number' ? b.statusCode : 200,
		raw: b,
	};
}
