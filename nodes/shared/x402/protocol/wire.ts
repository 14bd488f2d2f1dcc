/**
 * The x402 HTTP wire, client side, in one place (after @x402/core's HTTP client): reading a 402
 * (v1: JSON body; v2: the PAYMENT-REQUIRED header), writing the payment header (v1 X-PAYMENT,
 * v2 PAYMENT-SIGNATURE, key order as the official client writes it), and reading the server's
 * settlement header (X-PAYMENT-RESPONSE / PAYMENT-RESPONSE), which is a claim, not a proof.
 */

import { NotSignedError } from '../../errors';
import { withPaymentId } from './extensions';
import { SIGN_IN_WITH_X } from './siwx';
import { excerptOf, header, type HttpResponse } from '../../http';
import { networkFromWire, type NetworkKey } from './assets';
import type { Authorization } from './exact';
import { formatUsdc, parseAtomic } from './money';

/**
 * One way to pay, as the server offered it (v1 `accepts[]` entry or v2 `accepts[]` entry),
 * normalized.
 */
export interface Requirement {
	scheme: string;
	/** As written on the wire: `base` (v1) or `eip155:8453` (v2). */
	network: string;
	networkKey?: NetworkKey;
	amountAtomic: bigint;
	asset: string;
	payTo: string;
	maxTimeoutSeconds: number;
	description?: string;
	resource?: string;
	/** The entry exactly as received: what gets signed. */
	raw: Record<string, unknown>;
}

/** A parsed 402 answer. */
export interface Quote {
	x402Version: 1 | 2;
	accepts: Requirement[];
	/** The decoded payment-required object exactly as received. */
	raw: Record<string, unknown>;
	resourceUrl: string;
	receivedAt: number;
}

/** What a person reads about a quote (Dry Run output, error details). */
export function describeQuote(quote: Quote, chosen?: Requirement) {
	const req = chosen ?? quote.accepts[0];
	return {
		x402Version: quote.x402Version,
		priceUsdc: formatUsdc(req.amountAtomic),
		priceAtomic: req.amountAtomic.toString(),
		network: req.network,
		asset: req.asset,
		payTo: req.payTo,
		scheme: req.scheme,
		description: req.description ?? '',
		maxTimeoutSeconds: req.maxTimeoutSeconds,
		resource: req.resource ?? quote.resourceUrl,
		options: quote.accepts.length,
	};
}

/** A 402 that cannot be read: nothing is signed. */
export class QuoteError extends NotSignedError {
	constructor(problem: string, response: HttpResponse) {
		super(`The service asked for payment (HTTP 402) but ${problem}`, {
			kind: 'quote',
			hint: 'Check the Endpoint URL: it must be an x402 service. If it is, the service may have changed its payment format.',
			details: { excerpt: excerptOf(response.body) },
			httpStatus: 402,
		});
		this.name = 'QuoteError';
	}
}

/**
 * The error for a 402 with no x402 offer this package can read, naming what else it offered: an
 * MPP challenge (`WWW-Authenticate: Payment …`) is another protocol, never paid here.
 */
function quoteError(problem: string, response: HttpResponse): QuoteError {
	const challenge = header(response, 'www-authenticate');
	const mpp = challenge && /^\s*payment\b/i.test(challenge);
	return new QuoteError(
		mpp
			? `${problem}; it offered only an MPP challenge (WWW-Authenticate: Payment), another protocol this package does not pay`
			: problem,
		response,
	);
}

function decodeBase64Json(value: string): unknown {
	return JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
}

/** Reads a 402 answer from a v1 server (JSON body) or a v2 server (`PAYMENT-REQUIRED` header). */
export function parseQuote(response: HttpResponse, requestUrl: string, now = Date.now()): Quote {
	let raw: unknown;
	const v2Header = header(response, 'payment-required');
	if (v2Header) {
		try {
			raw = decodeBase64Json(v2Header);
		} catch {
			throw quoteError('its PAYMENT-REQUIRED header is not base64 JSON', response);
		}
	} else {
		raw = typeof response.body === 'string' ? safeJson(response.body) : response.body;
	}
	if (!raw || typeof raw !== 'object')
		throw quoteError('it sent no payment requirements', response);
	const obj = raw as Record<string, unknown>;
	const version = obj.x402Version;
	if (version !== 1 && version !== 2)
		throw quoteError(`its x402Version is ${JSON.stringify(version)} (1 or 2 expected)`, response);
	// A route that only asks who you are (sign-in-with-x) lists no way to pay.
	const signInOnly =
		Array.isArray(obj.accepts) &&
		obj.accepts.length === 0 &&
		!!(obj.extensions as Record<string, unknown> | undefined)?.[SIGN_IN_WITH_X];
	if (!Array.isArray(obj.accepts) || (obj.accepts.length === 0 && !signInOnly))
		throw quoteError('it lists no way to pay (accepts is empty)', response);
	const accepts = obj.accepts.map((entry, index) =>
		parseRequirement(entry, version, index, response),
	);
	const resource = obj.resource as { url?: unknown } | undefined;
	return {
		x402Version: version,
		accepts,
		raw: obj,
		resourceUrl: typeof resource?.url === 'string' ? resource.url : requestUrl,
		receivedAt: now,
	};
}

function parseRequirement(
	entry: unknown,
	version: 1 | 2,
	index: number,
	response: HttpResponse,
): Requirement {
	if (!entry || typeof entry !== 'object')
		throw quoteError(`accepts[${index}] is not an object`, response);
	const e = entry as Record<string, unknown>;
	const amount = parseAtomic(
		version === 1 ? e.maxAmountRequired : (e.amount ?? e.maxAmountRequired),
	);
	const str = (key: string) => (typeof e[key] === 'string' ? (e[key] as string) : undefined);
	const scheme = str('scheme');
	const network = str('network');
	const payTo = str('payTo');
	const asset = str('asset');
	const timeout = e.maxTimeoutSeconds;
	if (!scheme || !network || !payTo || !asset || amount === undefined) {
		throw quoteError(`accepts[${index}] lacks scheme, network, amount, payTo or asset`, response);
	}
	if (
		typeof timeout !== 'number' ||
		!Number.isFinite(timeout) ||
		timeout <= 0 ||
		!Number.isInteger(timeout)
	) {
		throw quoteError(
			`accepts[${index}].maxTimeoutSeconds is not a positive whole number of seconds`,
			response,
		);
	}
	return {
		scheme,
		network,
		networkKey: networkFromWire(network)?.key,
		amountAtomic: amount,
		asset,
		payTo,
		maxTimeoutSeconds: timeout,
		description: str('description'),
		resource: str('resource'),
		raw: e,
	};
}

function safeJson(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return undefined;
	}
}

/** What the server's settlement header claims (`PAYMENT-RESPONSE` v2, `X-PAYMENT-RESPONSE` v1). */
export interface SettlementClaim {
	success: boolean;
	transaction?: string;
	errorReason?: string;
}

/** The settlement header of a paid answer, if there is a readable one. */
export function parseSettlementClaim(response: HttpResponse): SettlementClaim | undefined {
	const value = header(response, 'payment-response') ?? header(response, 'x-payment-response');
	if (!value) return undefined;
	try {
		const decoded = decodeBase64Json(value) as Record<string, unknown>;
		return {
			success: decoded.success === true,
			transaction:
				typeof decoded.transaction === 'string' && decoded.transaction
					? decoded.transaction
					: undefined,
			errorReason: typeof decoded.errorReason === 'string' ? decoded.errorReason : undefined,
		};
	} catch {
		return undefined;
	}
}

/** The payment payload as the official client writes it, key order included. */
export function paymentPayload(
	quote: Quote,
	accepted: Record<string, unknown>,
	authorization: Authorization,
	signature: `0x${string}`,
): Record<string, unknown> {
	const payload = { authorization, signature };
	if (quote.x402Version === 1)
		return { x402Version: 1, scheme: accepted.scheme, network: accepted.network, payload };
	return {
		x402Version: 2,
		payload,
		extensions: withPaymentId(quote.raw.extensions, authorization.nonce),
		resource: quote.raw.resource,
		accepted,
	};
}

export function paymentHeaders(payload: Record<string, unknown>): Record<string, string> {
	const encoded = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64');
	return payload.x402Version === 1 ? { 'X-PAYMENT': encoded } : { 'PAYMENT-SIGNATURE': encoded };
}
