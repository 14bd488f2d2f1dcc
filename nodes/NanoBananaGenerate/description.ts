import type { INodeProperties } from 'n8n-workflow';
import {
	allowedHostsOption,
	binaryFieldProperty,
	budgetOption,
	concurrencyOption,
	expectedRecipientOption,
	idempotencyKeyOption,
	maxPriceOption,
	requestTimeoutOption,
} from '../shared/descriptions';
import {
	ASPECT_RATIOS,
	DOPAMINT_ENDPOINT,
	DOPAMINT_PAY_TO,
	OUTPUT_FORMATS,
} from '../shared/dopamint';

export const generateProperties: INodeProperties[] = [
	{
		displayName:
			'Each item pays for one image with USDC on Base (x402); every execution pays again. Pin this node\'s output while building the rest of the workflow. Use "Dry Run" to see the price first.',
		name: 'paymentNotice',
		type: 'notice',
		default: '',
	},
	{
		displayName: 'Prompt',
		name: 'prompt',
		type: 'string',
		typeOptions: { rows: 4 },
		default: '',
		required: true,
		placeholder: 'e.g. A ripe banana wearing sunglasses on a beach, studio light',
		description: 'What the image should show',
	},
	{
		displayName: 'Aspect Ratio',
		name: 'aspectRatio',
		type: 'options',
		default: '1:1',
		// Sorted by name, as n8n's UI guidelines (and its community-node lint) ask: a collator puts ':'
		// before digits, so does a space here, without loading a collator when n8n starts.
		options: [...ASPECT_RATIOS]
			.sort((a, b) => (a.replace(':', ' ') < b.replace(':', ' ') ? -1 : 1))
			.map((ratio) => ({ name: ratio, value: ratio })),
		description: 'Width to height of the image',
	},
	{
		displayName: 'Output Format',
		name: 'outputFormat',
		type: 'options',
		default: 'png',
		options: OUTPUT_FORMATS.map((format) => ({ name: format.toUpperCase(), value: format })),
		description: 'File format of the generated image',
	},
	{
		displayName: 'Seed',
		name: 'seed',
		type: 'string',
		default: '',
		placeholder: 'random',
		description: 'Whole number of 0 or more for reproducible images; leave empty for a random seed',
	},
	{
		displayName: 'Number of Images',
		name: 'numImages',
		type: 'number',
		default: 1,
		typeOptions: { minValue: 1, maxValue: 1 },
		description:
			'The endpoint generates one image per request (and per payment); send several items for several images',
	},
	{
		displayName: 'Sync Mode',
		name: 'syncMode',
		type: 'boolean',
		default: false,
		description:
			'Whether to ask the service to answer with the finished image instead of a job to wait for. When the answer carries images, they are output as binary.',
	},
	{
		displayName: 'Limit Generations',
		name: 'limitGenerations',
		type: 'boolean',
		default: false,
		description: "Whether to pass the service's limit_generations flag",
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			allowedHostsOption(
				"Sync Mode only: hosts the finished images (and their redirects) may be downloaded from, besides the Endpoint URL's host and Dopamint",
				'Allowed Image Hosts',
			),
			binaryFieldProperty('Sync Mode only: the binary field the image is written to'),
			budgetOption,
			concurrencyOption('items are paid and submitted', 10, 50),
			{
				displayName: 'Dry Run',
				name: 'dryRun',
				type: 'boolean',
				default: false,
				description:
					'Whether to only ask for the price and check it against your limits, paying nothing',
			},
			{
				displayName: 'Endpoint URL',
				name: 'endpointUrl',
				type: 'string',
				default: DOPAMINT_ENDPOINT,
				description:
					"The x402 image endpoint. Change it only for a compatible gateway or the package's local sandbox.",
			},
			expectedRecipientOption(DOPAMINT_PAY_TO),
			idempotencyKeyOption,
			maxPriceOption('image', 0.06),
			requestTimeoutOption('How long to wait for the service to answer one request'),
		],
	},
];
