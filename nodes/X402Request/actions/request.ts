/**
 * What one item of X402 Request asks for, validated before anything is sent: the method, the URL
 * with its query, the headers and the body, as n8n's HTTP Request node names them; and the
 * payment options. Nothing is sent for an invalid item.
 */

import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { InputError } from '../../shared/errors';
import type { HttpMethod } from '../../shared/http';
import { MAX_IMAGE_BYTES } from '../../shared/limits';
import { readPaymentLimits, readTimeoutMs } from '../../shared/paidItem';
import { readIdempotencyKey } from '../../shared/paymentKeys';
import { checkUrl, parseHostList, type HostRule } from '../../shared/urls';
import { binaryField, oneOf } from '../../shared/validate';
import type { PaidRequest } from '../../shared/x402/session';
import type { Wallet } from '../../shared/x402/wallet/credential';

export type ResponseFormat = 'autodetect' | 'file' | 'json' | 'text';

export interface RequestItem {
	request: PaidRequest;
	/** Hosts the node's own Allowed Hosts narrows payments to (none: the credential's only). */
	hosts: HostRule[];
	responseFormat: ResponseFormat;
	binaryField: string;
	idempotencyKey?: string;
}

/** Headers this node writes itself: a workflow never sets them. */
const PAYMENT_HEADERS = ['x-payment', 'payment-signature', 'sign-in-with-x'];

type Pairs = { parameters?: Array<{ name?: unknown; value?: unknown }> } | undefined;

function pairsOf(raw: unknown, field: string): Array<[string, string]> {
	const list = (raw as Pairs)?.parameters ?? [];
	return list
		.filter((p) => String(p.name ?? '').trim() !== '')
		.map((p) => {
			const name = String(p.name).trim();
			if (/[\r\n]/.test(name) || /[\r\n]/.test(String(p.value ?? '')))
				throw new InputError(field, `"${name.slice(0, 60)}" contains a line break`, 'Remove it.');
			return [name, p.value === undefined || p.value === null ? '' : String(p.value)];
		});
}

function jsonOf(raw: unknown): unknown {
	if (typeof raw !== 'string') return raw ?? {};
	const parsed = parseJson(raw);
	if (!parsed.ok)
		throw new InputError(
			'JSON',
			'is not valid JSON',
			'Check quotes and commas, or use an expression.',
		);
	return parsed.value;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
	try {
		return { ok: true, value: JSON.parse(text) as unknown };
	} catch {
		return { ok: false };
	}
}

export function readRequest(
	context: IExecuteFunctions,
	itemIndex: number,
	wallet: Wallet | undefined,
): RequestItem {
	const param = (name: string, fallback: unknown) =>
		context.getNodeParameter(name, itemIndex, fallback) as unknown;
	const method = oneOf(param('method', 'GET'), 'Method', [
		'DELETE',
		'GET',
		'PATCH',
		'POST',
		'PUT',
	]) as HttpMethod;
	const raw = String(param('url', '') ?? '').trim();
	if (!raw) throw new InputError('URL', 'is empty', 'Give the URL of the x402 API.');
	const url = checkUrl(raw, 'URL', 'Use the http(s) URL of the API.');
	if (param('sendQuery', false) === true)
		for (const [name, value] of pairsOf(param('queryParameters', {}), 'Query Parameters'))
			url.searchParams.append(name, value);
	const headers: Record<string, string> = {};
	if (param('sendHeaders', false) === true) {
		for (const [name, value] of pairsOf(param('headerParameters', {}), 'Header Parameters')) {
			if (PAYMENT_HEADERS.includes(name.toLowerCase()))
				throw new InputError(
					'Header Parameters',
					`"${name}" is written by this node when it pays or signs in`,
					'Remove the header.',
				);
			headers[name] = value;
		}
	}
	let body: unknown;
	if (param('sendBody', false) === true) {
		const contentType = oneOf(param('contentType', 'json'), 'Body Content Type', [
			'form-urlencoded',
			'json',
			'raw',
		]);
		if (contentType === 'raw') {
			body = String(param('body', '') ?? '');
			headers['content-type'] ??= String(param('rawContentType', 'text/plain') || 'text/plain');
		} else {
			const keypair = param('specifyBody', 'keypair') !== 'json';
			const fields = keypair
				? Object.fromEntries(pairsOf(param('bodyParameters', {}), 'Body Parameters'))
				: jsonOf(param('jsonBody', '{}'));
			if (contentType === 'json') body = fields;
			else {
				if (!fields || typeof fields !== 'object' || Array.isArray(fields))
					throw new InputError('JSON', 'must be an object for a form body', 'E.g. {"a": "1"}.');
				body = new URLSearchParams(
					Object.entries(fields as Record<string, unknown>).map(([k, v]): [string, string] => [
						k,
						String(v),
					]),
				).toString();
				headers['content-type'] ??= 'application/x-www-form-urlencoded';
			}
		}
	}
	const options = param('options', {}) as IDataObject;
	const limits = readPaymentLimits(options, wallet, 'Max Price per Request');
	const hosts = parseHostList(options.allowedHosts);
	if (hosts.length) limits.hosts = hosts;
	return {
		request: {
			method,
			url: url.href,
			headers,
			...(body !== undefined ? { body } : {}),
			timeoutMs: readTimeoutMs(options),
			limits,
			raw: { maxBytes: MAX_IMAGE_BYTES },
		},
		hosts,
		responseFormat: oneOf(options.responseFormat ?? 'autodetect', 'Response Format', [
			'autodetect',
			'file',
			'json',
			'text',
		]),
		binaryField: binaryField(options.binaryPropertyName),
		idempotencyKey: readIdempotencyKey(options),
	};
}
