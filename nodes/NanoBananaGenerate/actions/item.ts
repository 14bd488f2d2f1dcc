/**
 * What one item of Generate asks for, validated before anything is sent: nothing is paid for an
 * invalid item.
 */

import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import {
	buildGenerateBody,
	defaultHosts,
	DOPAMINT_ENDPOINT,
	type GenerateBody,
} from '../../shared/dopamint';
import { InputError } from '../../shared/errors';
import { REQUEST_TIMEOUT_MS } from '../../shared/limits';
import { readIdempotencyKey } from '../../shared/paymentKeys';
import { checkUrl, originRule, parseHostList, type HostRule } from '../../shared/urls';
import { binaryField, numberWithin } from '../../shared/validate';
import { formatUsdc, parseUsdc } from '../../shared/x402/protocol/money';
import type { PaymentLimits } from '../../shared/x402/session';
import type { Wallet } from '../../shared/x402/wallet/credential';

/** What one item asks for, validated: nothing is sent for an invalid item. */
export interface ItemRequest {
	body: GenerateBody;
	endpoint: string;
	/** Hosts Sync Mode images may come from: the endpoint's origin, Dopamint, Allowed Hosts. */
	imageHosts: HostRule[];
	limits: PaymentLimits;
	timeoutMs: number;
	dryRun: boolean;
	binaryField: string;
	idempotencyKey?: string;
}

export function readItem(
	context: IExecuteFunctions,
	itemIndex: number,
	wallet: Wallet | undefined,
): ItemRequest {
	const body = buildGenerateBody({
		prompt: context.getNodeParameter('prompt', itemIndex, ''),
		aspectRatio: context.getNodeParameter('aspectRatio', itemIndex, '1:1'),
		outputFormat: context.getNodeParameter('outputFormat', itemIndex, 'png'),
		seed: context.getNodeParameter('seed', itemIndex, ''),
		numImages: context.getNodeParameter('numImages', itemIndex, 1),
		syncMode: context.getNodeParameter('syncMode', itemIndex, false),
		limitGenerations: context.getNodeParameter('limitGenerations', itemIndex, false),
	});
	const options = context.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const endpoint =
		typeof options.endpointUrl === 'string' && options.endpointUrl.trim()
			? options.endpointUrl.trim()
			: DOPAMINT_ENDPOINT;
	checkUrl(
		endpoint,
		'Endpoint URL',
		`Leave it at ${DOPAMINT_ENDPOINT} unless you use another x402 gateway.`,
	);
	const origin = originRule(endpoint);
	const imageHosts = [
		...(origin ? [origin] : []),
		...defaultHosts(),
		...parseHostList(options.allowedHosts),
	];
	const limits: PaymentLimits = {};
	if (options.maxPriceUsdc !== undefined) {
		const max = parseUsdc(options.maxPriceUsdc as number);
		if (max === undefined || max <= 0n)
			throw new InputError('Max Price per Image (USDC)', 'must be a number above 0', 'E.g. 0.06.');
		if (wallet && max > wallet.capAtomic) {
			throw new InputError(
				'Max Price per Image (USDC)',
				`${formatUsdc(max)} is above the credential's Max Payment per Request of ${formatUsdc(wallet.capAtomic)}`,
				'Lower it, or raise the cap in the x402 Wallet credential.',
			);
		}
		limits.maxAtomic = max;
		limits.maxLabel = 'Max Price per Image';
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
	const timeoutSeconds = numberWithin(
		options.requestTimeoutSeconds,
		'Request Timeout (Seconds)',
		REQUEST_TIMEOUT_MS / 1000,
		1,
		900,
	);
	return {
		body,
		endpoint,
		imageHosts,
		limits,
		timeoutMs: timeoutSeconds * 1000,
		dryRun: options.dryRun === true,
		binaryField: binaryField(options.binaryPropertyName),
		idempotencyKey: readIdempotencyKey(options),
	};
}
