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
import { readPaymentLimits, readTimeoutMs } from '../../shared/paidItem';
import { readIdempotencyKey } from '../../shared/paymentKeys';
import { checkUrl, originRule, parseHostList, type HostRule } from '../../shared/urls';
import { binaryField } from '../../shared/validate';
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
	const limits = readPaymentLimits(options, wallet, 'Max Price per Image');
	return {
		body,
		endpoint,
		imageHosts,
		limits,
		timeoutMs: readTimeoutMs(options),
		dryRun: options.dryRun === true,
		binaryField: binaryField(options.binaryPropertyName),
		idempotencyKey: readIdempotencyKey(options),
	};
}
