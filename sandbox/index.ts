/** The whole local money path in one call: chain + facilitator + gateway. Development only. */
import { privateKeyToAccount } from 'viem/accounts';
import { startChain, type ChainOptions, type LocalChain } from './chain';
import { createFacilitator } from './facilitator';
import { startGateway, type Gateway, type GatewayOptions } from './gateway';
import { startOfficialServer, type OfficialServer } from './official';
import { startOfficialV1Server } from './officialV1';

export interface Sandbox {
	chain: LocalChain;
	gateway: Gateway;
	facilitatorAddress: string;
	/** Funded payer keys and their addresses. */
	payers: Array<{ key: `0x${string}`; address: `0x${string}` }>;
	/** A second gateway on the same chain (e.g. a v2 one). */
	startGateway(options?: Omit<GatewayOptions, 'facilitator'>): Promise<Gateway>;
	/** The official x402 v2 server (@x402/express) on the same chain and facilitator. */
	startOfficialServer(payTo?: string): Promise<OfficialServer>;
	/** The official x402 v1 server (x402-express), its facilitator over HTTP, on the same chain. */
	startOfficialV1Server(payTo?: string): Promise<OfficialServer>;
	close(): Promise<void>;
}

export async function startSandbox(
	options: { chain?: ChainOptions; gateway?: Omit<GatewayOptions, 'facilitator'> } = {},
): Promise<Sandbox> {
	const chain = await startChain(options.chain);
	const { facilitator, address } = createFacilitator(chain);
	const gateways: Gateway[] = [];
	const more = async (gatewayOptions: Omit<GatewayOptions, 'facilitator'> = {}) => {
		const g = await startGateway({ ...gatewayOptions, facilitator });
		gateways.push(g);
		return g;
	};
	const gateway = await more(options.gateway);
	const servers: OfficialServer[] = [];
	return {
		chain,
		gateway,
		facilitatorAddress: address,
		payers: chain.payerKeys.map((key) => ({ key, address: privateKeyToAccount(key).address })),
		startGateway: more,
		async startOfficialServer(payTo?: string) {
			const server = await startOfficialServer(facilitator, payTo);
			servers.push(server);
			return server;
		},
		async startOfficialV1Server(payTo?: string) {
			const server = await startOfficialV1Server(facilitator, payTo);
			servers.push(server);
			return server;
		},
		async close() {
			for (const s of servers) await s.close();
			for (const g of gateways) await g.close();
			await chain.close();
		},
	};
}

/** x402 Wallet credential data for one of the sandbox's funded payers, on its chain. */
export function walletData(
	sandbox: Pick<Sandbox, 'payers' | 'chain'>,
	payer = 0,
	extra: Record<string, string | number | boolean> = {},
): Record<string, string | number | boolean> {
	return {
		privateKey: sandbox.payers[payer].key,
		network: 'base',
		maxPaymentUsdc: 0.1,
		rpcUrl: sandbox.chain.rpcUrl,
		...extra,
	};
}

interface WorkflowNodes {
	nodes: Array<{ type: string; parameters: Record<string, unknown> }>;
}

/**
 * Points an example workflow at a sandbox gateway, as a user would: Generate's Endpoint URL,
 * and the gateway's host in Wait for Job's Allowed Hosts (item data never widens that list).
 */
export function pointAtGateway<T extends WorkflowNodes>(
	workflow: T,
	gateway: Pick<Gateway, 'endpoint'>,
): T {
	const host = new URL(gateway.endpoint).hostname;
	for (const n of workflow.nodes) {
		const options = (n.parameters.options ?? {}) as Record<string, unknown>;
		if (/\.nanoBananaGenerate(Tool)?$/.test(n.type))
			n.parameters.options = { ...options, endpointUrl: gateway.endpoint };
		if (/\.waitForJob(Tool)?$/.test(n.type))
			n.parameters.options = { ...options, allowedHosts: host };
	}
	return workflow;
}
