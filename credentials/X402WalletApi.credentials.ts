import type { Icon, ICredentialType, INodeProperties } from 'n8n-workflow';

/**
 * The paying wallet. Only this package's nodes may decrypt it
 * (`restrictToSupportedNodes`): not even the HTTP Request node can read the key.
 * It is tested by the Nano-Banana Generate node (`testedBy`), since a private
 * key has no HTTP endpoint to test against.
 */
export class X402WalletApi implements ICredentialType {
	name = 'x402WalletApi';

	// Title case ending in "API", as n8n's verification scanner requires (it ignores inline
	// lint exceptions). The type name `x402WalletApi` is unchanged: saved workflows refer to it.
	displayName = 'X402 Wallet API';

	icon: Icon = { light: 'file:x402Wallet.svg', dark: 'file:x402Wallet.dark.svg' };

	documentationUrl =
		'https://www.npmjs.com/package/n8n-nodes-nano-banana#the-x402-wallet-credential';

	restrictToSupportedNodes = true as const;

	properties: INodeProperties[] = [
		{
			displayName: 'Private Key',
			name: 'privateKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			placeholder: '0x… (64 hex characters)',
			description:
				'Private key of the wallet that pays, 64 hex characters with or without 0x. Use a dedicated hot wallet holding only what you are ready to spend.',
		},
		{
			displayName: 'Network',
			name: 'network',
			type: 'options',
			default: 'base',
			options: [
				{ name: 'Base', value: 'base', description: 'Base mainnet: real USDC' },
				{
					name: 'Base Sepolia (Testnet)',
					value: 'base-sepolia',
					description: 'Test USDC, no real money',
				},
			],
			description: 'The only network this wallet pays on: quotes for any other network are refused',
		},
		{
			displayName: 'Max Payment per Request (USDC)',
			name: 'maxPaymentUsdc',
			type: 'number',
			default: 0.1,
			typeOptions: { minValue: 0.000001, maxValue: 1000, numberStepSize: 0.01 },
			description:
				'Hard cap: no node may pay more than this for one request, whatever its own settings',
		},
		{
			displayName: 'Max Spend per 24 Hours (USDC)',
			name: 'maxSpend24hUsdc',
			type: 'number',
			default: 0,
			typeOptions: { minValue: 0, maxValue: 1000000, numberStepSize: 1 },
			description:
				'Most this wallet may send in any 24 hours, counted from the chain: every USDC transfer out of it, by any workflow, worker or other app. A payment that would pass it is refused, unsigned. Needs an RPC that answers. 0 = no limit.',
		},
		{
			displayName: 'Allowed Recipients',
			name: 'allowedRecipients',
			type: 'string',
			default: '',
			placeholder: '0x5054acbbdd6aed95231cbe833f7bf1db7c248bff',
			description:
				"Addresses this wallet may pay, separated by commas; empty = any. Only you, the credential's owner, can widen it: a workflow (edited by anyone, or by an agent through n8n's MCP server) can only narrow it. Dopamint's nano-banana is paid to 0x5054acbbdd6aed95231cbe833f7bf1db7c248bff.",
		},
		{
			displayName: 'Allowed Hosts for Payments',
			name: 'allowedPayHosts',
			type: 'string',
			default: '',
			placeholder: 'x402.dopamint.ai',
			description:
				"Hosts a paid request may be sent to, separated by commas (example.com any port, example.com:8443 one port, *.example.com subdomains); empty = any. Like Allowed Recipients, no workflow can widen it. Dopamint's host is x402.dopamint.ai.",
		},
		{
			displayName: 'RPC URL',
			name: 'rpcUrl',
			type: 'string',
			default: '',
			placeholder: 'https://mainnet.base.org',
			description:
				"Optional JSON-RPC endpoint for read-only checks (balance, whether a payment went through). Leave empty for the network's public RPC. Never needed to sign.",
		},
	];
}
