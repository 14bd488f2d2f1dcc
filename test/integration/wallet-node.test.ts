/**
 * The X402 Wallet node in n8n's engine against known history on the local chain: an x402 payment
 * (charged), a transfer made outside n8n, an authorization the server never settled (not charged
 * yet, then expired once the chain's clock passes its validity), a transaction that does not
 * exist, an RPC that does not answer.
 */
import { startSandbox, type Sandbox } from '../../sandbox';
import {
	connectInLine,
	ITEMS_TYPE,
	node,
	runWorkflow,
	TOOL_HOST_TYPE,
	TRIGGER_TYPE,
	WALLET_TOOL_TYPE,
	WALLET_TYPE,
} from '../../harness/engine';
import { fetchHttp } from '../../nodes/shared/transports';
import { PaymentSession } from '../../nodes/shared/x402/session';
import { walletFromCredential } from '../../nodes/shared/x402/wallet/credential';
import { expectNoKey, forgetProcessTables, jsonOf, walletCredential } from '../helpers';

const DEAD = '0x000000000000000000000000000000000000dead';
const PAY_TO = '0x5054acbbdd6aed95231cbe833f7bf1db7c248bff';
let sandbox: Sandbox;
let paid: { nonce: string; transaction: string; validBefore: string };
let unsettled: { nonce: string; validBefore: string };
let foreign: string;

beforeAll(async () => {
	sandbox = await startSandbox({ chain: { payers: 1 }, gateway: { jobDurationMs: 100 } });
	const session = () =>
		new PaymentSession({
			http: fetchHttp(),
			wallet: walletFromCredential(walletCredential(sandbox, 0)),
		});
	const first = await session().pay({ url: sandbox.gateway.endpoint, body: { prompt: 'paid' } });
	paid = first.receipt as never;
	foreign = await sandbox.chain.sendUsdc(sandbox.payers[0].key, DEAD, 10_000n);
	// A server that answers with a job but never settles: the signed authorization stays open.
	sandbox.gateway.faults.forgeSettlement = true;
	const second = await session().pay({ url: sandbox.gateway.endpoint, body: { prompt: 'open' } });
	unsettled = second.receipt as never;
	sandbox.gateway.reset();
});
afterAll(async () => await sandbox?.close());
beforeEach(() => {
	sandbox.chain.rpcFaults.down = false;
	forgetProcessTables();
});

async function wallet(
	parameters: Record<string, unknown>,
	items: Array<Record<string, unknown>> = [{}],
	credential: Record<string, string | number | boolean> = {},
) {
	const result = await runWorkflow(
		{
			nodes: [
				node('Start', TRIGGER_TYPE),
				node('Input', ITEMS_TYPE, { items: JSON.stringify(items) }),
				node('Wallet', WALLET_TYPE, parameters as never, {
					credentials: { x402WalletApi: { id: '1', name: 'w' } },
				}),
			],
			connections: connectInLine('Start', 'Input', 'Wallet'),
		},
		{ credentials: { x402WalletApi: walletCredential(sandbox, 0, credential) } },
	);
	expectNoKey(result.run, sandbox.payers[0].key);
	return jsonOf(result.output('Wallet'));
}

it('Get Balance: USDC and ETH held, the address to fund, images covered, and the daily limit', async () => {
	const [json] = await wallet({ operation: 'getBalance' }, [{}], { maxSpend24hUsdc: 1 });
	const held = await sandbox.chain.usdcBalance(sandbox.payers[0].address);
	expect(json).toMatchObject({
		address: sandbox.payers[0].address,
		network: 'Base',
		usdcBalance: (Number(held) / 1e6).toString(),
		priceUsdc: '0.0527',
		imagesCovered: Number(held / 52_700n),
		dailyLimit: { limitUsdc: '1.0', spentLast24hUsdc: '0.0627', leftUsdc: '0.9373' },
	});
	expect(String(json.fundingNote)).toContain(sandbox.payers[0].address);
});

it('Get Payments: every USDC transfer out of the wallet, x402 ones with their nonce, and a summary', async () => {
	const payments = await wallet({ operation: 'getPayments', period: 'last24h' });
	expect(payments).toHaveLength(2);
	const [x402, other] = payments;
	expect(x402).toMatchObject({
		payTo: PAY_TO,
		amountUsdc: '0.0527',
		amountAtomic: '52700',
		transaction: paid.transaction,
		x402: true,
		nonce: paid.nonce,
		explorerUrl: null, // a local RPC: no public explorer shows this chain
	});
	expect(other).toMatchObject({
		payTo: DEAD,
		amountUsdc: '0.01',
		transaction: foreign,
		x402: false,
		nonce: null,
	});
	expect(Date.parse(String(x402.time))).toBeGreaterThan(Date.now() - 120_000);
	const [summary] = await wallet({ operation: 'getPayments', period: 'last7d', output: 'summary' });
	expect(summary).toMatchObject({
		count: 2,
		totalUsdc: '0.0627',
		x402Count: 1,
		byPayee: [
			{ payTo: PAY_TO, count: 1, totalUsdc: '0.0527' },
			{ payTo: DEAD, count: 1, totalUsdc: '0.01' },
		],
		byDay: [{ day: new Date().toISOString().slice(0, 10), count: 2, totalUsdc: '0.0627' }],
	});
	const [refused] = await runCustom('2000-01-01T00:00:00Z');
	expect(String(refused.error)).toMatch(/^From: is more than 31 days ago/);
});

async function runCustom(from: string) {
	const result = await runWorkflow(
		{
			nodes: [
				node('Start', TRIGGER_TYPE),
				node('Wallet', WALLET_TYPE, { operation: 'getPayments', period: 'custom', from } as never, {
					credentials: { x402WalletApi: { id: '1', name: 'w' } },
					continueOnFail: true,
				}),
			],
			connections: connectInLine('Start', 'Wallet'),
		},
		{ credentials: { x402WalletApi: walletCredential(sandbox, 0) } },
	);
	return jsonOf(result.output('Wallet'));
}

it('Check Payment by nonce and by transaction: charged, not charged yet, foreign, not found, unknown', async () => {
	const [charged, open] = await wallet({ operation: 'checkPayment' }, [
		{ payment: paid },
		{ payment: unsettled },
	]);
	expect(charged).toMatchObject({
		status: 'charged',
		nonce: paid.nonce,
		transaction: paid.transaction,
		payTo: PAY_TO,
		amountUsdc: '0.0527',
	});
	expect(open).toMatchObject({ status: 'not charged yet', canStillBeCharged: true });
	expect(String(open.explanation)).toMatch(/can still be settled until/);
	const [byTx, byForeign, missing] = await wallet(
		{ operation: 'checkPayment', checkBy: 'transaction' },
		[
			{ transaction: paid.transaction },
			{ transaction: foreign },
			{ transaction: `0x${'ab'.repeat(32)}` },
		],
	);
	expect(byTx).toMatchObject({
		status: 'charged',
		payTo: PAY_TO,
		amountUsdc: '0.0527',
		nonce: paid.nonce,
	});
	expect(byForeign).toMatchObject({
		status: 'charged',
		payTo: DEAD,
		amountUsdc: '0.01',
		nonce: null,
	});
	expect(missing).toMatchObject({ status: 'not found' });
	sandbox.chain.rpcFaults.down = true;
	const [unknown] = await wallet({ operation: 'checkPayment' }, [{ payment: paid }]);
	expect(unknown).toMatchObject({ status: 'unknown' });
	expect(String(unknown.explanation)).toMatch(/^Unknown: the RPC did not answer/);
});

it('as an AI tool, Get Balance answers the model', async () => {
	const result = await runWorkflow(
		{
			nodes: [
				node('Start', TRIGGER_TYPE),
				node('Agent', TOOL_HOST_TYPE, {
					calls: JSON.stringify([{ tool: 'X402_Wallet', id: 'w1', args: {} }]),
				}),
				node('X402 Wallet', WALLET_TOOL_TYPE, { operation: 'getBalance' } as never, {
					credentials: { x402WalletApi: { id: '1', name: 'w' } },
				}),
			],
			connections: {
				...connectInLine('Start', 'Agent'),
				'X402 Wallet': { ai_tool: [[{ node: 'Agent', type: 'ai_tool', index: 0 }]] },
			},
		},
		{ credentials: { x402WalletApi: walletCredential(sandbox, 0) } },
	);
	const [call] = jsonOf(result.output('Agent'));
	expect(String(call.answer)).toContain(sandbox.payers[0].address);
	expect(String(call.answer)).toMatch(/imagesCovered/);
	expectNoKey(result.run, sandbox.payers[0].key);
});

// Last: moves the chain's clock past the open authorization's validity.
it('Check Payment: an authorization past its validity is not charged and can no longer be', async () => {
	await sandbox.chain.increaseTime(700);
	const [expired] = await wallet({ operation: 'checkPayment' }, [{ payment: unsettled }]);
	expect(expired).toMatchObject({ status: 'not charged', canStillBeCharged: false });
	expect(String(expired.explanation)).toMatch(/can no longer be: the authorization expired at/);
});
