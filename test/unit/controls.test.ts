/**
 * Every control that can refuse a payment, through the one interface the session and Dry Run use:
 * which offer is chosen, the refusal that says the most, and holds that are given back or kept.
 * (The daily limit against a real chain: test/integration/daily-limit.test.ts.)
 */
import {
	allowedHost,
	allowedRecipients,
	Balance,
	Budget,
	Controls,
	DailyLimit,
	forgetInFlight,
	priceCap,
	recipient,
	type Control,
	type PolicyError,
} from '../../nodes/shared/x402/controls';
import type { ChainReader } from '../../nodes/shared/x402/chain';
import type { Quote, Requirement } from '../../nodes/shared/x402/protocol/wire';
import { walletFromCredential } from '../../nodes/shared/x402/wallet/credential';
import { forgetHistories } from '../../nodes/shared/x402/wallet/history';

const wallet = walletFromCredential({
	privateKey: `0x${'ab'.repeat(32)}`,
	network: 'base',
	maxPaymentUsdc: 0.1,
});
const USDC = '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913';
const PAY_TO = '0x5054acbbdd6aed95231cbe833f7bf1db7c248bff';

function req(over: Partial<Requirement> = {}): Requirement {
	return {
		scheme: 'exact',
		network: 'base',
		networkKey: 'base',
		amountAtomic: 52_700n,
		asset: USDC,
		payTo: PAY_TO,
		maxTimeoutSeconds: 300,
		raw: {},
		...over,
	};
}
function quote(...accepts: Requirement[]): Quote {
	return { x402Version: 1, accepts, raw: {}, resourceUrl: 'https://x', receivedAt: 0 };
}
const credentialCap = () => priceCap(wallet.capAtomic, 'Max Payment per Request in the credential');
const controls = (...list: Control[]) => new Controls(wallet.network, list);

/** The chosen offer, or the refusal thrown (as the paying run does). */
async function choose(q: Quote, ...list: Control[]): Promise<Requirement> {
	const choice = await controls(credentialCap(), ...list).choose(q);
	if (choice.refusal) throw choice.refusal;
	return choice.offer as Requirement;
}

describe('which offer is paid', () => {
	it('picks the offer on our network among several (never silently accepts[0])', async () => {
		const chosen = await choose(
			quote(req({ network: 'base-sepolia', networkKey: 'base-sepolia' }), req()),
		);
		expect(chosen.network).toBe('base');
	});

	it('picks the cheapest payable offer that every control lets through', async () => {
		const other = '0x0000000000000000000000000000000000000002';
		const offers = quote(
			req({ amountAtomic: 90_000n }),
			req({ amountAtomic: 10_000n, payTo: other }),
			req({ amountAtomic: 40_000n }),
		);
		expect((await choose(offers)).amountAtomic).toBe(10_000n);
		expect((await choose(offers, recipient(PAY_TO))).amountAtomic).toBe(40_000n);
	});

	it('refuses a scheme other than exact, an unknown network, a Permit2 transfer, a long validity', async () => {
		await expect(choose(quote(req({ scheme: 'upto' })))).rejects.toThrow(/"scheme" rule/);
		await expect(choose(quote(req({ network: 'solana', networkKey: undefined })))).rejects.toThrow(
			/"network" rule: the service wants payment on "solana"/,
		);
		const extra = (method: string) => ({
			extra: { name: 'USD Coin', version: '2', assetTransferMethod: method },
		});
		await expect(choose(quote(req({ raw: extra('permit2') })))).rejects.toThrow(
			/"scheme" rule: the service asks for a permit2 transfer; this package signs EIP-3009 transfers only/,
		);
		expect((await choose(quote(req({ raw: extra('eip3009') })))).amountAtomic).toBe(52_700n);
		await expect(choose(quote(req({ maxTimeoutSeconds: 601 })))).rejects.toThrow(/"validity" rule/);
		expect((await choose(quote(req({ maxTimeoutSeconds: 600 })))).maxTimeoutSeconds).toBe(600);
	});

	it('with nothing payable, the refusal names every offer', async () => {
		await expect(
			choose(
				quote(
					req({ scheme: 'upto' }),
					req({ network: 'base-sepolia', networkKey: 'base-sepolia' }),
				),
			),
		).rejects.toThrow(
			/"network" rule: the service wants payment on "base-sepolia", the credential pays on "base"; no offer is payable \(offered: upto on base, exact on base-sepolia\)\. Nothing was signed or paid\.$/,
		);
	});

	it('the node cap and the credential cap both hold, each named', async () => {
		await expect(
			controls(priceCap(200_000n, 'Max Price per Image'), credentialCap()).choose(
				quote(req({ amountAtomic: 100_001n })),
			),
		).resolves.toMatchObject({
			refusal: {
				message: expect.stringMatching(
					/limit is 0\.1 USDC \(Max Payment per Request in the credential\)/,
				),
			},
		});
		await expect(choose(quote(req()), priceCap(52_699n, 'Max Price per Image'))).rejects.toThrow(
			/limit is 0\.052699 USDC \(Max Price per Image\)/,
		);
		expect(
			(await choose(quote(req()), priceCap(52_700n, 'Max Price per Image'))).amountAtomic,
		).toBe(52_700n);
	});

	it('pins the recipient, case-insensitively', async () => {
		expect(
			await choose(quote(req()), recipient(PAY_TO.toUpperCase().replace('0X', '0x'))),
		).toBeDefined();
		await expect(
			choose(quote(req()), recipient('0x0000000000000000000000000000000000000001')),
		).rejects.toThrow(/"recipient" rule/);
	});

	it('reports the refusal of the offer that got furthest, with the quoted price and limit', async () => {
		const error = (
			await controls(credentialCap()).choose(
				quote(req({ scheme: 'upto' }), req({ amountAtomic: 500_000n })),
			)
		).refusal as PolicyError;
		expect(error.message).toMatch(
			/"max price" rule: the service asks 0\.5 USDC, the limit is 0\.1 USDC/,
		);
		expect(error.details).toMatchObject({
			rule: 'max price',
			quotedPriceUsdc: '0.5',
			limit: '0.1',
		});
	});

	it("lists every control's verdict; the refusal is the first, as the paying run meets it", async () => {
		const broke = new Balance(async () => 0n, 'Base');
		const choice = await controls(
			credentialCap(),
			recipient(PAY_TO),
			new Budget(50_000n),
			broke,
		).choose(quote(req()));
		expect(choice.verdicts.map((v) => [v.rule, v.ok])).toEqual([
			['max price', true],
			['recipient', true],
			['budget', false],
			['balance', false],
		]);
		expect(choice.refusal?.message).toBe(choice.verdicts[2].refusal);
	});
});

describe("the credential's own limits: only its owner widens them", () => {
	it('Allowed Recipients refuses any other payee, and a node setting can only narrow it', async () => {
		const only = allowedRecipients([PAY_TO]);
		expect((await choose(quote(req()), only)).payTo).toBe(PAY_TO);
		const other = '0x0000000000000000000000000000000000000002';
		await expect(choose(quote(req({ payTo: other })), only)).rejects.toThrow(
			/"recipient" rule: the service wants the money sent to 0x0+2, which is not among the credential's Allowed Recipients/,
		);
		// Expected Recipient pointing elsewhere than the credential allows: nothing is payable.
		await expect(choose(quote(req()), only, recipient(other))).rejects.toThrow(/"recipient" rule/);
	});

	it('Allowed Hosts for Payments refuses a request to any other host, naming it without secrets', async () => {
		const rules = [{ host: 'x402.dopamint.ai' }];
		const ok = allowedHost('https://x402.dopamint.ai/api/ai/generations/images/nano-banana', rules);
		expect(await choose(quote(req()), ok)).toBeDefined();
		const elsewhere = allowedHost('https://user:secret@pay.example.com/image?key=abc', rules);
		const refusal = (await controls(elsewhere).choose(quote(req()))).refusal;
		expect(refusal).toMatchObject({ rule: 'host' });
		expect(refusal?.message).toMatch(
			/not on the credential's Allowed Hosts for Payments \(x402\.dopamint\.ai\)/,
		);
		expect(refusal?.message).not.toMatch(/secret/);
	});
});

describe('holds', () => {
	it('budget: holds until the limit, gives back what was released, keeps what was signed', async () => {
		const budget = new Budget(100_000n);
		const first = await controls(budget).hold(req());
		await expect(controls(budget).hold(req())).rejects.toThrow(/"budget" rule/);
		expect(budget.spentAtomic).toBe(52_700n);
		first.release();
		first.release(); // once only
		expect(budget.spentAtomic).toBe(0n);
		const signed = await controls(budget).hold(req({ amountAtomic: 100_000n }));
		signed.signed({ validBefore: 0 });
		expect(budget.spentAtomic).toBe(100_000n);
	});

	it('without a limit the budget only counts', async () => {
		const budget = new Budget();
		for (let i = 0; i < 100; i++) await controls(budget).hold(req());
		expect(budget.spentAtomic).toBe(5_270_000n);
	});

	it('a later refusal gives back what earlier controls held', async () => {
		const budget = new Budget(1_000_000n);
		const broke = new Balance(async () => 10_000n, 'Base');
		await expect(controls(budget, broke).hold(req())).rejects.toThrow(/"balance" rule/);
		expect(budget.spentAtomic).toBe(0n);
	});

	it('preview says what hold would, in the same words, and holds nothing', async () => {
		const budget = new Budget(60_000n, 10_000n);
		const choice = await controls(budget).choose(quote(req()));
		expect(budget.spentAtomic).toBe(10_000n);
		const held = await controls(budget)
			.hold(req())
			.catch((e: Error) => e);
		expect((held as Error).message).toBe(choice.refusal?.message);
	});
});

describe('balance', () => {
	it("is read once, counts the run's own holds, and refuses what does not fit, unsigned", async () => {
		let reads = 0;
		const balance = new Balance(async () => {
			reads++;
			return 100_000n;
		}, 'Base');
		const first = await controls(balance).hold(req());
		const second = await controls(balance)
			.hold(req())
			.catch((e: PolicyError) => e);
		expect(second).toMatchObject({ rule: 'balance', kind: 'policy' });
		expect((second as Error).message).toMatch(
			/^Payment refused by the "balance" rule: insufficient USDC: the wallet held 0\.1 USDC when this run started, and this payment of 0\.0527 USDC brings this run's payments to 0\.1054 USDC\. Nothing was signed or paid\.$/,
		);
		expect((second as PolicyError).details).toMatchObject({
			balanceUsdc: '0.1',
			neededUsdc: '0.1054',
			signed: false,
		});
		first.release();
		await controls(balance).hold(req());
		expect(reads).toBe(1);
	});

	it('holds at the same moment see each other (check and hold in one step)', async () => {
		const balance = new Balance(async () => 100_000n, 'Base');
		const results = await Promise.allSettled(
			Array.from({ length: 5 }, async () => await controls(balance).hold(req())),
		);
		expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
	});

	it('a balance that cannot be read does not block (payments do not need the RPC)', async () => {
		const balance = new Balance(async () => {
			throw new Error('RPC down');
		}, 'Base');
		await expect(controls(balance).hold(req())).resolves.toBeDefined();
	});
});

describe('daily limit', () => {
	beforeEach(() => {
		forgetHistories();
		forgetInFlight();
	});
	const chain = (spent: bigint[]): ChainReader => {
		const reader = {
			latestBlock: async () => ({ number: 100_000n, timestamp: 2_000_000 }),
			tipAndLogs: async () => ({ tip: await reader.latestBlock(), logs: await reader.logs() }),
			blockTimes: async (blocks: bigint[]) => new Map(blocks.map((b) => [b, 1_999_000])),
			logs: async () =>
				spent.map((amount, i) => ({
					address: USDC.toLowerCase(),
					blockNumber: 99_990n,
					transactionHash: `0x${String(i + 1).padStart(64, '0')}`,
					logIndex: i,
					topics: [
						'0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef',
						`0x${'0'.repeat(24)}${'aa'.repeat(20)}`,
						`0x${'0'.repeat(24)}${'bb'.repeat(20)}`,
					],
					data: `0x${amount.toString(16)}`,
					blockTimestamp: 1_999_000,
				})),
		};
		return reader as unknown as ChainReader;
	};
	const limit = (atomic: bigint, reader: ChainReader) =>
		new DailyLimit(atomic, wallet.network, async () => ({
			reader,
			address: `0x${'aa'.repeat(20)}`,
		}));

	it('counts the chain, other runs in flight and this run; refuses past the limit', async () => {
		const reader = chain([100_000n]);
		const runA = limit(200_000n, reader);
		const runB = limit(200_000n, reader);
		const heldA = await controls(runA).hold(req({ amountAtomic: 60_000n }));
		const refused = await controls(runB)
			.hold(req({ amountAtomic: 60_000n }))
			.catch((e: PolicyError) => e);
		expect(refused).toMatchObject({ rule: 'daily limit' });
		expect((refused as PolicyError).details).toMatchObject({
			spentUsdc: '0.1',
			inFlightUsdc: '0.06',
		});
		heldA.release();
		await expect(controls(runB).hold(req({ amountAtomic: 60_000n }))).resolves.toBeDefined();
	});

	it('forgets a signed payment in flight once its authorization has expired unsettled', async () => {
		const reader = chain([]);
		const held = await controls(limit(100_000n, reader)).hold(req({ amountAtomic: 90_000n }));
		held.signed({ validBefore: Math.floor(Date.now() / 1000) - 1 });
		await expect(
			controls(limit(100_000n, reader)).hold(req({ amountAtomic: 90_000n })),
		).resolves.toBeDefined();
	});

	it('refuses when the chain cannot be read: a limit that cannot be checked is not held', async () => {
		const down = {
			latestBlock: async () => {
				throw new Error('RPC answered HTTP 503');
			},
		} as unknown as ChainReader;
		const error = (await controls(limit(100_000n, down)).choose(quote(req()))).refusal;
		expect(error?.message).toMatch(
			/"daily limit" rule: what this wallet spent in the last 24 hours could not be read from the chain \(RPC answered HTTP 503\)/,
		);
	});
});
