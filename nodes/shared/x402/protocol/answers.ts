/**
 * What a service's answer says besides its job: the reason it gives for an error, an excerpt to
 * show, and the error of an answer that came before any payment.
 */

import { NotSignedError } from '../../errors';
import { excerptAfter, excerptOf, type HttpResponse } from '../../http';

/** The service's own reason, from the usual fields of an error body. */
export function reasonOf(response: HttpResponse): string | undefined {
	const body = response.body as Record<string, unknown> | undefined;
	if (body && typeof body === 'object') {
		for (const key of ['error', 'message', 'errorReason', 'detail']) {
			if (typeof body[key] === 'string' && body[key]) return excerptOf(body[key], 300);
		}
	}
	return undefined;
}

/** ": <the start of the answer's body>", or nothing for an empty body. */
export function bodyExcerpt(response: HttpResponse): string {
	return excerptAfter(response.body);
}

/**
 * The service could not be reached, or answered an error, before any payment: nothing was signed.
 */
export class GatewayError extends NotSignedError {
	constructor(
		message: string,
		options: { hint?: string; details?: Record<string, unknown>; httpStatus?: number } = {},
	) {
		super(message, { ...options, kind: 'gateway' });
		this.name = 'GatewayError';
	}
}

/** The error of an unpaid request the service answered with an error status. */
export function gatewayError(response: HttpResponse): GatewayError {
	const reason = reasonOf(response);
	return new GatewayError(
		`The service answered HTTP ${response.status} before any payment${reason ? `: ${reason}` : bodyExcerpt(response)}`,
		{
			hint:
				response.status === 400 || response.status === 422
					? 'The service rejected the request body: check the node parameters.'
					: response.status >= 500
						? 'The service has a problem; try again later.'
						: undefined,
			details: reason ? { serverReason: reason } : {},
			httpStatus: response.status,
		},
	);
}
