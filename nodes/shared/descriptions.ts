/**
 * Parameter descriptions the nodes share (after OpenAI v2's actions/descriptions.ts): one wording
 * of the host rules, the binary field, concurrency, and the payment options of the paying nodes.
 */

import type { INodeProperties } from 'n8n-workflow';

/** How host rules are written, for every Allowed Hosts option. */
export const HOST_RULES =
	'comma-separated. A bare host allows any port, host:port only that port, *.example.com any subdomain';

export function allowedHostsOption(what: string, displayName = 'Allowed Hosts'): INodeProperties {
	return {
		displayName,
		name: 'allowedHosts',
		type: 'string',
		default: '',
		placeholder: 'cdn.example.com, *.fal.media, 127.0.0.1:8080',
		description: `${what}, ${HOST_RULES}. Item data never adds hosts.`,
	};
}

export function binaryFieldProperty(
	description: string,
	extra: Partial<INodeProperties> = {},
): INodeProperties {
	return {
		displayName: 'Binary Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		description,
		...extra,
	};
}

export function concurrencyOption(what: string, fallback: number, max: number): INodeProperties {
	return {
		displayName: 'Concurrency',
		name: 'concurrency',
		type: 'number',
		default: fallback,
		typeOptions: { minValue: 1, maxValue: max },
		description: `How many ${what} at the same time. Read from the first item.`,
	};
}

export const budgetOption: INodeProperties = {
	displayName: 'Budget per Execution (USDC)',
	name: 'budgetUsdc',
	type: 'number',
	default: 1,
	typeOptions: { minValue: 0, numberStepSize: 0.01 },
	description:
		'Most this node may spend in one execution, over all items and every run of the node (loops included). Items past it fail without paying. Read from the first item.',
};

export function expectedRecipientOption(placeholder: string): INodeProperties {
	return {
		displayName: 'Expected Recipient',
		name: 'expectedPayTo',
		type: 'string',
		default: '',
		placeholder,
		description:
			'Pin the address that may receive the money: offers paying anyone else are refused',
	};
}

export const idempotencyKeyOption: INodeProperties = {
	displayName: 'Idempotency Key',
	name: 'idempotencyKey',
	type: 'string',
	default: '',
	placeholder: 'e.g. {{ $json.rowId }}',
	description:
		'Names the item so that it is never paid twice, across executions, retries, restarts and workers: a second call with the same key (in this node of this workflow) is not paid but reported "already paid" with the earlier transaction. Use a row ID, an RSS guid, a webhook request ID. The chain enforces it.',
};

/** Max Price per Image / per Request: `what` is "image" or "request". */
export function maxPriceOption(what: string, fallback: number): INodeProperties {
	const title = `${what[0].toUpperCase()}${what.slice(1)}`;
	return {
		displayName: `Max Price per ${title} (USDC)`,
		name: 'maxPriceUsdc',
		type: 'number',
		default: fallback,
		typeOptions: { minValue: 0, numberStepSize: 0.01 },
		description: `Refuse to pay more than this for one ${what}. The credential's Max Payment per Request caps it too.`,
	};
}

export function requestTimeoutOption(description: string): INodeProperties {
	return {
		displayName: 'Request Timeout (Seconds)',
		name: 'requestTimeoutSeconds',
		type: 'number',
		default: 120,
		typeOptions: { minValue: 1, maxValue: 900 },
		description,
	};
}
