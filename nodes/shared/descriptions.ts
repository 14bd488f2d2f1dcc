/**
 * Parameter descriptions both nodes use (after OpenAI v2's actions/descriptions.ts): one wording
 * of the host rules, the binary field and concurrency.
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
