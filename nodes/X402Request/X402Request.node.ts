import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { walletCredentialTest } from '../shared/credentialTest';
import { requestProperties } from './description';

export class X402Request implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'X402 Request',
		name: 'x402Request',
		icon: { light: 'file:x402Request.svg', dark: 'file:x402Request.dark.svg' },
		group: ['output'],
		version: 1,
		subtitle:
			'={{ $parameter["operation"] === "getPrice" ? "price of " : "" }}{{ $parameter["method"] + " " + $parameter["url"] }}',
		description:
			"Send an HTTP request to any x402 API and pay it with USDC when it answers 402, within the credential's limits and this node's options. Get Price shows the price, paying nothing.",
		defaults: { name: 'X402 Request' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'x402WalletApi', required: true, testedBy: 'x402WalletTest' }],
		properties: requestProperties,
	};

	methods = { credentialTest: walletCredentialTest };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		// The run's code (payment core, chain reader) loads on the first execution, not when n8n starts.
		const { route } = await import('./actions/router.js');
		// Continue On Fail: a failed item becomes its error item, paired with its input.
		return await route(this, this.continueOnFail());
	}
}
