import type { INodeProperties } from 'n8n-workflow';
import { allowedHostsOption, binaryFieldProperty, concurrencyOption } from '../shared/descriptions';

export const waitProperties: INodeProperties[] = [
	{
		displayName: 'Status URL',
		name: 'statusUrl',
		type: 'string',
		default: '={{ $json.statusUrl }}',
		required: true,
		description: 'The job status URL, usually statusUrl from the Nano-Banana Generate node',
	},
	{
		displayName: 'Poll Interval (Seconds)',
		name: 'pollIntervalSeconds',
		type: 'number',
		default: 1,
		typeOptions: { minValue: 0.2, maxValue: 600 },
		description: 'First wait between two status checks; it grows gently up to Max Poll Interval',
	},
	{
		displayName: 'Max Poll Interval (Seconds)',
		name: 'maxPollIntervalSeconds',
		type: 'number',
		default: 10,
		typeOptions: { minValue: 0.2, maxValue: 600 },
		description:
			"Longest wait between two status checks (a server's Retry-After may ask for longer)",
	},
	{
		displayName: 'Max Wait (Minutes)',
		name: 'maxWaitMinutes',
		type: 'number',
		default: 10,
		typeOptions: { minValue: 0.05, maxValue: 240 },
		description: 'Stop waiting for a job after this long',
	},
	{
		displayName: 'On Timeout',
		name: 'onTimeout',
		type: 'options',
		default: 'fail',
		options: [
			{
				name: 'Fail the Item',
				value: 'fail',
				description: 'Raise an error (or an error item with Continue On Fail)',
			},
			{
				name: 'Output the Item',
				value: 'output',
				description:
					'Output it with status "timeout", job ID and status URL, so the workflow can loop back',
			},
		],
		description: 'What to do with a job that is still running after Max Wait',
	},
	{
		displayName: 'Download Images',
		name: 'downloadImages',
		type: 'boolean',
		default: true,
		description:
			'Whether to download the images into binary data (otherwise only their URLs are output)',
	},
	binaryFieldProperty(
		'Binary field the image is written to. With one item per job, later images go to data_1, data_2 and so on.',
		{
			displayOptions: { show: { downloadImages: [true] } },
		},
	),
	{
		displayName: 'Output',
		name: 'output',
		type: 'options',
		default: 'perImage',
		options: [
			{ name: 'One Item per Image', value: 'perImage' },
			{ name: 'One Item per Job', value: 'perJob' },
		],
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			allowedHostsOption(
				'Hosts that status, result and image URLs (and their redirects) may point to, besides Dopamint',
			),
			concurrencyOption('jobs are polled', 50, 200),
		],
	},
];
