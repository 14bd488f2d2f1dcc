import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { resultOf } from '../shared/errors';
import { isToolRun, runItems } from '../shared/items';
import { oneOf } from '../shared/validate';
import { walletCredentialTest } from '../shared/credentialTest';
import { walletProperties } from './description';
import { checkPayment, getBalance, getPayments, setUpWallet } from './operations';

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
		const count = this.getInputData().length;
		const setup = await resultOf(setUpWallet(this));
		const output = await runItems(
			this,
			count,
			4,
			async (itemIndex) => {
				if (!setup.ok) throw setup.error;
				const operation = oneOf(
					this.getNodeParameter('operation', itemIndex, 'getBalance'),
					'Operation',
					['getBalance', 'getPayments', 'checkPayment'],
				);
				if (operation === 'getBalance') return await getBalance(this, setup.value, itemIndex);
				if (operation === 'getPayments') return await getPayments(this, setup.value, itemIndex);
				return await checkPayment(this, setup.value, itemIndex);
			},
			{ failuresAsItems: isToolRun(this) },
		);
		return [output];
	}
}
