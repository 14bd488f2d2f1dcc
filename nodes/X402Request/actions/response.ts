/**
 * An answer as n8n items: its status, its headers without secrets, and its body as JSON, text or a
 * file (binary, size-capped when read), by the Response Format option or its content type.
 */

import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { drain } from '../../shared/httpBody';
import type { PaidAnswer } from '../../shared/x402/session';
import type { ResponseFormat } from './request';

/** Headers never put in an output: they carry credentials or session cookies. */
const SECRET_HEADERS = ['set-cookie', 'cookie', 'authorization', 'proxy-authorization'];

/** How much of the body a model reads back as a tool's answer. */
export const TOOL_BODY_CHARS = 4_000;

export function headersJson(headers: Record<string, string>): IDataObject {
	return Object.fromEntries(
		Object.entries(headers).filter(([k]) => !SECRET_HEADERS.includes(k.toLowerCase())),
	);
}

function kindOf(format: ResponseFormat, contentType: string): 'json' | 'text' | 'file' {
	if (format !== 'autodetect') return format;
	if (/[/+]json\b/i.test(contentType)) return 'json';
	if (/^text\/|[/+]xml\b|javascript|x-www-form-urlencoded/i.test(contentType) || !contentType)
		return 'text';
	return 'file';
}

/** The body and, for a file, the binary: `json.body` holds JSON or text, the binary holds a file. */
export async function bodyOf(
	context: IExecuteFunctions,
	answer: PaidAnswer,
	format: ResponseFormat,
	binaryField: string,
	url: string,
): Promise<{ body: unknown; binary?: INodeExecutionData['binary']; note?: string }> {
	const contentType = answer.headers['content-type'] ?? '';
	const kind = kindOf(format, contentType);
	if (kind === 'file') {
		// Streamed into n8n's binary store as it arrives (size-capped, within the deadline).
		const name = new URL(url).pathname.split('/').filter(Boolean).pop() || 'response';
		const mimeType = contentType.split(';')[0].trim() || 'application/octet-stream';
		const source = isStream(answer.body) ? answer.body : await drain(answer.body);
		const binary = await context.helpers.prepareBinaryData(
			source as Parameters<IExecuteFunctions['helpers']['prepareBinaryData']>[0],
			name,
			mimeType,
		);
		return { body: null, binary: { [binaryField]: binary } };
	}
	const parsed =
		typeof answer.body === 'object' &&
		answer.body !== null &&
		!isStream(answer.body) &&
		!Buffer.isBuffer(answer.body);
	const text = (await drain(parsed ? JSON.stringify(answer.body) : answer.body)).toString('utf8');
	if (kind === 'text') return { body: text };
	try {
		return { body: text === '' ? null : (JSON.parse(text) as unknown) };
	} catch {
		// The answer may be paid for: never lose it over its format. Given as text, and said so.
		return { body: text, note: 'The answer is not JSON: it is given as text.' };
	}
}

function isStream(body: unknown): boolean {
	return !!body && typeof (body as { pipe?: unknown }).pipe === 'function';
}
