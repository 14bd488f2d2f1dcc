/**
 * X402 Request's parameters, named and shaped like n8n's HTTP Request node (method, url, sendQuery
 * + queryParameters, sendHeaders + headerParameters, sendBody + contentType + specifyBody), so a
 * workflow moving from it finds them; the payment options have Generate's names.
 */

import type { INodeProperties } from 'n8n-workflow';
import {
	binaryFieldProperty,
	budgetOption,
	concurrencyOption,
	expectedRecipientOption,
	HOST_RULES,
	idempotencyKeyOption,
	maxPriceOption,
	requestTimeoutOption,
} from '../shared/descriptions';

const nameValue = (what: string): INodeProperties['options'] => [
	{
		name: 'parameters',
		displayName: what,
		values: [
			{ displayName: 'Name', name: 'name', type: 'string', default: '' },
			{ displayName: 'Value', name: 'value', type: 'string', default: '' },
		],
	},
];

const sendsBody = { sendBody: [true] };

export const requestProperties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		default: 'sendRequest',
		options: [
			{
				name: 'Get Price',
				value: 'getPrice',
				action: 'Get the price of a request',
				description:
					"Send the request unpaid and show what the server asks, the offer that would be paid and every limit's verdict. Signs nothing.",
			},
			{
				name: 'Send Request',
				value: 'sendRequest',
				action: 'Send a request paying when asked',
				description:
					'Send the request; when the server answers 402, pay within every limit and send it again',
			},
		],
	},
	{
		displayName:
			'A server answering 402 is paid with USDC from the credential\'s wallet, within its limits and this node\'s options; every execution pays again. Use "Get Price" to see the price first.',
		name: 'paymentNotice',
		type: 'notice',
		default: '',
	},
	{
		displayName: 'Method',
		name: 'method',
		type: 'options',
		default: 'GET',
		options: [
			{ name: 'DELETE', value: 'DELETE' },
			{ name: 'GET', value: 'GET' },
			{ name: 'PATCH', value: 'PATCH' },
			{ name: 'POST', value: 'POST' },
			{ name: 'PUT', value: 'PUT' },
		],
		description: 'The HTTP method to use',
	},
	{
		displayName: 'URL',
		name: 'url',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'https://api.example.com/v1/images',
		description: 'The URL of the x402 API. The payment header is sent to this URL only.',
	},
	{
		displayName: 'Send Query Parameters',
		name: 'sendQuery',
		type: 'boolean',
		default: false,
		description: 'Whether the request has query parameters',
	},
	{
		displayName: 'Query Parameters',
		name: 'queryParameters',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		placeholder: 'Add Parameter',
		default: { parameters: [{ name: '', value: '' }] },
		displayOptions: { show: { sendQuery: [true] } },
		options: nameValue('Parameter'),
	},
	{
		displayName: 'Send Headers',
		name: 'sendHeaders',
		type: 'boolean',
		default: false,
		description: 'Whether the request has headers',
	},
	{
		displayName: 'Header Parameters',
		name: 'headerParameters',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		placeholder: 'Add Parameter',
		default: { parameters: [{ name: '', value: '' }] },
		displayOptions: { show: { sendHeaders: [true] } },
		options: nameValue('Parameter'),
	},
	{
		displayName: 'Send Body',
		name: 'sendBody',
		type: 'boolean',
		default: false,
		description: 'Whether the request has a body',
	},
	{
		displayName: 'Body Content Type',
		name: 'contentType',
		type: 'options',
		default: 'json',
		displayOptions: { show: sendsBody },
		options: [
			{ name: 'Form Urlencoded', value: 'form-urlencoded' },
			{ name: 'JSON', value: 'json' },
			{ name: 'Raw', value: 'raw' },
		],
		description: 'Content type of the body',
	},
	{
		displayName: 'Specify Body',
		name: 'specifyBody',
		type: 'options',
		default: 'keypair',
		displayOptions: { show: { ...sendsBody, contentType: ['json', 'form-urlencoded'] } },
		options: [
			{ name: 'Using Fields Below', value: 'keypair' },
			{ name: 'Using JSON', value: 'json' },
		],
		description: 'How to give the body',
	},
	{
		displayName: 'Body Parameters',
		name: 'bodyParameters',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		placeholder: 'Add Parameter',
		default: { parameters: [{ name: '', value: '' }] },
		displayOptions: {
			show: { ...sendsBody, contentType: ['json', 'form-urlencoded'], specifyBody: ['keypair'] },
		},
		options: nameValue('Parameter'),
	},
	{
		displayName: 'JSON',
		name: 'jsonBody',
		type: 'json',
		default: '',
		displayOptions: {
			show: { ...sendsBody, contentType: ['json', 'form-urlencoded'], specifyBody: ['json'] },
		},
		description: 'The body as JSON (an object for Form Urlencoded)',
	},
	{
		displayName: 'Content Type',
		name: 'rawContentType',
		type: 'string',
		default: 'text/plain',
		displayOptions: { show: { ...sendsBody, contentType: ['raw'] } },
		description: 'The content-type header of the raw body',
	},
	{
		displayName: 'Body',
		name: 'body',
		type: 'string',
		default: '',
		displayOptions: { show: { ...sendsBody, contentType: ['raw'] } },
		description: 'The raw body, sent as it is',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Allowed Hosts',
				name: 'allowedHosts',
				type: 'string',
				default: '',
				placeholder: 'api.example.com',
				description: `Hosts a paid request may go to (narrowing the credential's Allowed Hosts for Payments), ${HOST_RULES}. As an AI tool, this node pays only hosts listed here or in the credential.`,
			},
			binaryFieldProperty('Where a file answer goes'),
			budgetOption,
			concurrencyOption('requests are sent', 10, 50),
			expectedRecipientOption('0x…'),
			idempotencyKeyOption,
			maxPriceOption('request', 0.1),
			requestTimeoutOption('How long to wait for each request (unpaid and paid), body included'),
			{
				displayName: 'Response Format',
				name: 'responseFormat',
				type: 'options',
				default: 'autodetect',
				options: [
					{ name: 'Autodetect', value: 'autodetect' },
					{ name: 'File', value: 'file' },
					{ name: 'JSON', value: 'json' },
					{ name: 'Text', value: 'text' },
				],
				description:
					'How to read the answer: by its content type, or as a file (binary), JSON or text',
			},
		],
	},
];
