import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { walletCredentialTest } from '../shared/credentialTest';
import { walletProperties } from './description';

export class X402Wallet implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'X402 Wallet',
		name: 'x402Wallet',
		icon: { light: 'file:x402Wallet.svg', dark: 'file:x402Wallet.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["operation"] }}',
		description:
			"The paying wallet's truth from the chain: its USDC balance, the payments it sent in a period, and whether one payment (a nonce or transaction from Nano-Banana Generate) was charged. Never pays.",
		defaults: { name: 'X402 Wallet' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'x402WalletApi', required: true, testedBy: 'x402WalletTest' }],
		properties: walletProperties,
	};

	methods = { credentialTest: walletCredentialTest };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		// The run's code (payment core, chain reader) loads on the first execution, not when n8n starts.
		const { route } = await import('./actions/router.js');
		// Continue On Fail: a failed item becomes its error item, paired with its input.
		return await route(this, this.continueOnFail());
	}
}
