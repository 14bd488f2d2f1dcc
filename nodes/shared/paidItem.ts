/**
 * The payment options every paying node reads per item, with Generate's names: Max Price (checked
 * against the credential's cap), Expected Recipient and Request Timeout. Each fails naming its
 * field; nothing is sent for an invalid item.
 */

import type { IDataObject } from 'n8n-workflow';
import { InputError } from './errors';
import { REQUEST_TIMEOUT_MS } from './limits';
import { numberWithin } from './validate';
import { formatUsdc, parseUsdc } from './x402/protocol/money';
import type { PaymentLimits } from './x402/session';
import type { Wallet } from './x402/wallet/credential';

/** Max Price and Expected Recipient as the payment core's limits; `maxLabel` names the field. */
export function readPaymentLimits(
	options: IDataObject,
	wallet: Wallet | undefined,
	maxLabel: string,
): PaymentLimits {
	const limits: PaymentLimits = { maxLabel };
	const field = `${maxLabel} (USDC)`;
	if (options.maxPriceUsdc !== undefined) {
		const max = parseUsdc(options.maxPriceUsdc as number);
		if (max === undefined || max <= 0n)
			throw new InputError(field, 'must be a number above 0', 'E.g. 0.06.');
		if (wallet && max > wallet.capAtomic)
			throw new InputError(
				field,
				`${formatUsdc(max)} is above the credential's Max Payment per Request of ${formatUsdc(wallet.capAtomic)}`,
				'Lower it, or raise the cap in the x402 Wallet credential.',
			);
		limits.maxAtomic = max;
	}
	if (typeof options.expectedPayTo === 'string' && options.expectedPayTo.trim()) {
		const payTo = options.expectedPayTo.trim();
		if (!/^0x[0-9a-fA-F]{40}$/.test(payTo))
			throw new InputError(
				'Expected Recipient',
				`"${payTo.slice(0, 60)}" is not an address`,
				'Use a 0x address of 40 hex characters, or leave it empty.',
			);
		limits.payTo = payTo;
	}
	return limits;
}

/** Request Timeout (Seconds) in milliseconds: 1 to 900 s, REQUEST_TIMEOUT_MS by default. */
export function readTimeoutMs(options: IDataObject): number {
	const seconds = numberWithin(
		options.requestTimeoutSeconds,
		'Request Timeout (Seconds)',
		REQUEST_TIMEOUT_MS / 1000,
		1,
		900,
	);
	return seconds * 1000;
}
