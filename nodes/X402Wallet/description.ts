import type { INodeProperties } from 'n8n-workflow';

const show = (operation: string) => ({ show: { operation: [operation] } });

export const walletProperties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		default: 'getBalance',
		options: [
			{
				name: 'Check Payment',
				value: 'checkPayment',
				description: 'Whether a payment (its nonce or transaction) was charged, or still can be',
				action: 'Check a payment',
			},
			{
				name: 'Get Balance',
				value: 'getBalance',
				description: 'USDC and ETH held, the address to fund, images covered at a price',
				action: 'Get the wallet balance',
			},
			{
				name: 'Get Payments',
				value: 'getPayments',
				description: 'USDC sent from the wallet in a period, read from the chain',
				action: 'Get the wallet payments',
			},
		],
	},
	{
		displayName: 'Price per Image (USDC)',
		name: 'priceUsdc',
		type: 'number',
		default: 0.0527,
		typeOptions: { minValue: 0, numberStepSize: 0.0001 },
		description: 'Used to say how many images the USDC balance covers',
		displayOptions: show('getBalance'),
	},
	{
		displayName: 'Period',
		name: 'period',
		type: 'options',
		default: 'last24h',
		options: [
			{ name: 'Custom', value: 'custom' },
			{ name: 'Last 24 Hours', value: 'last24h' },
			{ name: 'Last 7 Days', value: 'last7d' },
		],
		displayOptions: show('getPayments'),
	},
	{
		displayName: 'From',
		name: 'from',
		type: 'dateTime',
		default: '',
		description: 'Start of the period (within the last 31 days)',
		displayOptions: { show: { operation: ['getPayments'], period: ['custom'] } },
	},
	{
		displayName: 'To',
		name: 'to',
		type: 'dateTime',
		default: '',
		description: 'End of the period; empty for now',
		displayOptions: { show: { operation: ['getPayments'], period: ['custom'] } },
	},
	{
		displayName: 'Output',
		name: 'output',
		type: 'options',
		default: 'payments',
		options: [
			{
				name: 'One Item per Payment',
				value: 'payments',
				description: 'Time, payee, amount, transaction, whether it was an x402 authorization',
			},
			{
				name: 'Summary',
				value: 'summary',
				description: 'One item: count and total, per payee and per day (for a daily report)',
			},
		],
		displayOptions: show('getPayments'),
	},
	{
		displayName: 'Check By',
		name: 'checkBy',
		type: 'options',
		default: 'nonce',
		options: [
			{
				name: 'Nonce',
				value: 'nonce',
				description: "The authorization nonce in Generate's receipt",
			},
			{ name: 'Transaction', value: 'transaction', description: 'A transaction hash' },
		],
		displayOptions: show('checkPayment'),
	},
	{
		displayName: 'Nonce',
		name: 'nonce',
		type: 'string',
		default: '={{ $json.payment?.nonce ?? $json.nonce }}',
		description: "The payment's EIP-3009 nonce (0x and 64 hex characters), from Generate's output",
		displayOptions: { show: { operation: ['checkPayment'], checkBy: ['nonce'] } },
	},
	{
		displayName: 'Valid Before',
		name: 'validBefore',
		type: 'string',
		default: '={{ $json.payment?.validBefore ?? $json.validBefore ?? "" }}',
		description:
			'When the signed authorization expires (unix seconds or a date), from the same receipt: tells "not charged yet" from "can no longer be"',
		displayOptions: { show: { operation: ['checkPayment'], checkBy: ['nonce'] } },
	},
	{
		displayName: 'Transaction',
		name: 'transaction',
		type: 'string',
		default: '={{ $json.payment?.transaction ?? $json.transaction }}',
		description: 'A transaction hash (0x and 64 hex characters)',
		displayOptions: { show: { operation: ['checkPayment'], checkBy: ['transaction'] } },
	},
];
