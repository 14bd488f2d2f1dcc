/**
 * The credential's Max Spend per 24 Hours against the local chain: what left the wallet is read
 * from USDC's Transfer logs (money moved outside n8n counts), runs in one process see each
 * other's payments in flight, the window rolls with the chain's clock (EDR's time and mining
 * controls, blocks 2 s apart as on Base), an RPC that refuses wide log ranges is read in smaller
 * ones, and an RPC that does not answer refuses the payment.
 */
import { startSandbox, type Sandbox } from '../../sandbox';
import {
	connectInLine,
	GENERATE_TOOL_TYPE,
	node,
	runWorkflow,
	TOOL_HOST_TYPE,
	TRIGGER_TYPE,
} from '../../harness/engine';
import { NanoBananaError } from '../../nodes/shared/errors';
import { fetchHttp } from '../../nodes/shared/transports';
import { PaymentSession } from '../../nodes/shared/x402/session';
import { walletFromCredential } from '../../nodes/shared/x402/wallet/credential';
import {
	expectNoKey,
	forgetProcessTables,
	generateFlow,
	jsonOf,
	walletCredential,
} from '../helpers';

const DEAD = '0x000000000000000000000000000000000000dEaD';
let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startSandbox({ chain: { payers: 8 }, gateway: { jobDurationMs: 100 } });
});
afterAll(async () => await sandbox?.close());
beforeEach(() => {
	sandbox.gateway.reset();
	sandbox.chain.rpcFaults.down = false;
	sandbox.chain.rpcFaults.maxLogRange = undefined;
	forgetProcessTables();
});

/** A new node run (a new execution) paying with `payer` under a daily limit. */
const run = (s: Sandbox, payer: number, maxSpend24hUsdc: number) =>
	new PaymentSession({
		http: fetchHttp(),
		wallet: walletFromCredential(walletCredential(s, payer, { maxSpend24hUsdc })),
	});

async function outcome(session: PaymentSession, s: Sandbox, prompt = 'a banana') {
	try {
		await session.pay({ url: s.gateway.endpoint, body: { prompt } });
		return 'paid';
	} catch (error) {
		return error as NanoBananaError;
	}
}

const sent = async (s: Sandbox, payer: number) =>
	(await s.chain.transfers()).filter(
		(t) => t.from.toLowerCase() === s.payers[payer].address.toLowerCase(),
	);

it('counts money that left the wallet outside n8n: a script transfer of 0.10 leaves no room for 0.0527 under 0.15', async () => {
	await sandbox.chain.sendUsdc(sandbox.payers[0].key, DEAD, 100_000n);
	const paidBefore = sandbox.gateway.counts.paid;
	const refused = await outcome(run(sandbox, 0, 0.15), sandbox);
	expect(refused).toBeInstanceOf(NanoBananaError);
	const error = refused as NanoBananaError;
	expect(error.message).toMatch(
		/^Payment refused by the "daily limit" rule: paying 0\.0527 USDC would bring this wallet's last 24 hours to 0\.1527 USDC, over its limit of 0\.15 USDC .*Nothing was signed or paid\.$/,
	);
	expect(error.kind).toBe('policy');
	expect(error.details).toMatchObject({
		rule: 'daily limit',
		limit: '0.15',
		spentUsdc: '0.1',
		inFlightUsdc: '0.0',
		oldestLeavesAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
	});
	expect(error.hint).toMatch(/the oldest leaves at .*Or raise Max Spend per 24 Hours/);
	expect(sandbox.gateway.counts.paid).toBe(paidBefore);
	// Under a limit with room, the same wallet pays.
	expect(await outcome(run(sandbox, 0, 0.16), sandbox)).toBe('paid');
});

it('executions one after another stop at the limit: 0.16 USDC a day pays 3 of 5 images', async () => {
	const results: unknown[] = [];
	for (let i = 0; i < 5; i++) results.push(await outcome(run(sandbox, 1, 0.16), sandbox, `n${i}`));
	expect(results.slice(0, 3)).toEqual(['paid', 'paid', 'paid']);
	for (const r of results.slice(3))
		expect((r as NanoBananaError).details).toMatchObject({ rule: 'daily limit' });
	expect(await sent(sandbox, 1)).toHaveLength(3);
});

it('runs in one process at the same moment see each other in flight: 8 at once under 0.16 pay 3', async () => {
	const results = await Promise.all(
		Array.from(
			{ length: 8 },
			async (_, i) => await outcome(run(sandbox, 2, 0.16), sandbox, `c${i}`),
		),
	);
	expect(results.filter((r) => r === 'paid')).toHaveLength(3);
	expect(await sent(sandbox, 2)).toHaveLength(3);
});

it('an RPC that does not answer refuses the payment: a limit that cannot be checked is not held', async () => {
	sandbox.chain.rpcFaults.down = true;
	const paidBefore = sandbox.gateway.counts.paid;
	const refused = (await outcome(run(sandbox, 3, 10), sandbox)) as NanoBananaError;
	expect(refused.message).toMatch(
		/^Payment refused by the "daily limit" rule: what this wallet spent in the last 24 hours could not be read from the chain \(RPC answered HTTP 503\).*Nothing was signed or paid\.$/,
	);
	expect(refused.hint).toMatch(/Check the RPC URL/);
	expect(sandbox.gateway.counts.paid).toBe(paidBefore);
	// Without a limit, payments do not need the RPC.
	expect(await outcome(run(sandbox, 3, 0), sandbox)).toBe('paid');
});

it('in the engine: executions one after another and a run of many items stop at the limit; Dry Run shows it', async () => {
	const credential = walletCredential(sandbox, 4, { maxSpend24hUsdc: 0.11 });
	const execute = async (items: Array<Record<string, unknown>>, options: object = {}) =>
		await runWorkflow(
			generateFlow({ endpoint: sandbox.gateway.endpoint, items, generate: { options } as never }),
			{ credentials: { x402WalletApi: credential } },
		);
	const first = await execute([{ prompt: 'one' }]);
	expect(first.status).toBe('success');
	// Five items in the next execution: one fits, four are refused (Continue On Fail keeps them).
	const dry = await execute([{ prompt: 'dry' }], { dryRun: true });
	const [dryJson] = jsonOf(dry.output('Generate'));
	expect(dryJson).toMatchObject({
		wouldPay: true,
		limits: {
			dailyLimit: {
				limitUsdc: '0.11',
				spentLast24hUsdc: '0.0527',
				inFlightUsdc: '0.0',
				leftUsdc: '0.0573',
				imagesLeft: 1,
				oldestLeavesAt: expect.stringMatching(/^\d{4}-/),
			},
		},
	});
	const second = await runWorkflow(
		generateFlow({
			endpoint: sandbox.gateway.endpoint,
			items: [1, 2, 3, 4, 5].map((n) => ({ prompt: `loop ${n}` })),
			generateExtra: { continueOnFail: true },
		}),
		{ credentials: { x402WalletApi: credential } },
	);
	const out = jsonOf(second.output('Generate'));
	expect(out.filter((o) => o.jobId)).toHaveLength(1);
	const refusals = out.filter((o) => o.error);
	expect(refusals).toHaveLength(4);
	for (const r of refusals)
		expect(r).toMatchObject({ errorKind: 'policy', rule: 'daily limit', signed: false });
	expect(await sent(sandbox, 4)).toHaveLength(2);
	const full = await execute([{ prompt: 'dry again' }], { dryRun: true });
	const [fullJson] = jsonOf(full.output('Generate'));
	expect(fullJson.wouldPay).toBe(false);
	// Dry Run asks the paying run's controls: its refusal is the real one, in the same words.
	expect(String(fullJson.refusal)).toMatch(
		/^Payment refused by the "daily limit" rule: paying 0\.0527 USDC would bring this wallet's last 24 hours to 0\.1581 USDC, over its limit of 0\.11 USDC \(on the chain 0\.1054, in flight in this n8n process 0\.0\)\. Nothing was signed or paid\.$/,
	);
	expect(fullJson.checks).toEqual(
		expect.arrayContaining([{ rule: 'daily limit', ok: false, refusal: fullJson.refusal }]),
	);
	expectNoKey([first.run, second.run, dry.run, full.run], sandbox.payers[4].key);
});

it('an outside agent through MCP (each tool call its own execution) stops at the limit and reads the refusal', async () => {
	const credential = walletCredential(sandbox, 5, { maxSpend24hUsdc: 0.11 });
	const answers: Array<Record<string, unknown>> = [];
	for (let i = 0; i < 4; i++) {
		const result = await runWorkflow(
			{
				nodes: [
					node('Start', TRIGGER_TYPE),
					node('MCP client', TOOL_HOST_TYPE, {
						calls: JSON.stringify([
							{ tool: 'Nano_Banana', id: `m${i}`, args: { prompt: `mcp ${i}` } },
						]),
					}),
					node(
						'Nano Banana',
						GENERATE_TOOL_TYPE,
						{
							prompt: "={{ $fromAI('prompt', 'What the image shows', 'string') }}",
							options: { endpointUrl: sandbox.gateway.endpoint },
						},
						{ credentials: { x402WalletApi: { id: '1', name: 'w' } } },
					),
				],
				connections: {
					...connectInLine('Start', 'MCP client'),
					'Nano Banana': { ai_tool: [[{ node: 'MCP client', type: 'ai_tool', index: 0 }]] },
				},
			},
			{ credentials: { x402WalletApi: credential } },
		);
		expect(result.status).toBe('success');
		const [call] = jsonOf(result.output('MCP client'));
		const answer = (typeof call.answer === 'string' ? JSON.parse(call.answer) : call.answer) as
			| Record<string, unknown>
			| Array<Record<string, unknown>>;
		answers.push(Array.isArray(answer) ? answer[0] : answer);
	}
	expect(answers.filter((a) => a.jobId)).toHaveLength(2);
	for (const refusal of answers.slice(2))
		expect(refusal).toMatchObject({
			errorKind: 'policy',
			rule: 'daily limit',
			signed: false,
			spentUsdc: '0.1054',
		});
	expect(await sent(sandbox, 5)).toHaveLength(2);
});

describe('the window rolls with the chain clock', () => {
	let past: Sandbox;
	beforeAll(async () => {
		// The chain's clock starts 25 hours back: history is laid down, then the chain is brought to
		// the present (a payment is only valid around the signer's clock).
		past = await startSandbox({
			chain: { payers: 2, secondsBehind: 25 * 3600 },
			gateway: { jobDurationMs: 100 },
		});
	});
	afterAll(async () => await past?.close());

	it('a transfer 25 hours old no longer counts: refused at the time, room back a day later, read through an RPC that refuses wide ranges', async () => {
		await past.chain.sendUsdc(past.payers[0].key, DEAD, 100_000n);
		const early = (await outcome(run(past, 0, 0.12), past)) as NanoBananaError;
		expect(early.details).toMatchObject({ rule: 'daily limit', spentUsdc: '0.1' });
		// A day of Base blocks (2 s apart), then the rest of the way to the present.
		await past.chain.mine(43_200, 2);
		const tip = (await past.chain.provider.request({
			method: 'eth_getBlockByNumber',
			params: ['latest', false],
		})) as { timestamp: string };
		await past.chain.increaseTime(Math.floor(Date.now() / 1000) - Number(tip.timestamp) - 5);
		// The RPC now refuses ranges over 500 blocks: the node's 2,000-block reads are halved.
		past.chain.rpcFaults.maxLogRange = 500;
		const requestsBefore = past.chain.rpcRequests();
		expect(await outcome(run(past, 0, 0.12), past)).toBe('paid');
		expect(past.chain.rpcRequests() - requestsBefore).toBeGreaterThan(43_200 / 500);
		// A fresh process reads the whole day again and counts only the payment just made.
		forgetProcessTables();
		const second = (await outcome(run(past, 0, 0.1), past)) as NanoBananaError;
		expect(second.details).toMatchObject({ rule: 'daily limit', spentUsdc: '0.0527' });
	}, 60_000);
});
