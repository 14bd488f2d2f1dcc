import { Budget, selectRequirement } from '../../nodes/shared/x402/controls/policy';
import type { Quote, Requirement } from '../../nodes/shared/x402/protocol/wire';
import { walletFromCredential } from '../../nodes/shared/x402/wallet/credential';

const wallet = walletFromCredential({
	privateKey: `0x${'ab'.repeat(32)}`,
	network: 'base',
	maxPaymentUsdc: 0.1,
});
const USDC = '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913';

function req(over: Partial<Requirement> = {}): Requirement {
	return {
		scheme: 'exact',
		network: 'base',
		networkKey: 'base',
		amountAtomic: 52_700n,
		asset: USDC,
		payTo: '0x5054acbbdd6aed95231cbe833f7bf1db7c248bff',
		maxTimeoutSeconds: 300,
		raw: {},
		...over,
	};
}
function quote(...accepts: Requirement[]): Quote {
	return { x402Version: 1, accepts, raw: {}, resourceUrl: 'https://x', receivedAt: 0 };
}

describe('payment policy', () => {
	it('picks the option on our network among several (never silently accepts[0])', () => {
		const chosen = selectRequirement(
			quote(req({ network: 'base-sepolia', networkKey: 'base-sepolia' }), req()),
			wallet,
			{},
		);
		expect(chosen.network).toBe('base');
	});

	it('refuses a scheme other than exact', () => {
		expect(() => selectRequirement(quote(req({ scheme: 'upto' })), wallet, {})).toThrow(
			/"scheme" rule/,
		);
	});

	it('refuses an unknown network', () => {
		expect(() =>
			selectRequirement(quote(req({ network: 'solana', networkKey: undefined })), wallet, {}),
		).toThrow(/"network" rule: the service wants payment on "solana"/);
	});

	it('the smaller of caller cap and credential cap wins', () => {
		expect(() =>
			selectRequirement(quote(req({ amountAtomic: 100_001n })), wallet, { maxAtomic: 200_000n }),
		).toThrow(/limit is 0\.1 USDC \(Max Payment per Request in the credential\)/);
		expect(() => selectRequirement(quote(req()), wallet, { maxAtomic: 52_699n })).toThrow(
			/limit is 0\.052699 USDC \(Max Price per Image\)/,
		);
		expect(selectRequirement(quote(req()), wallet, { maxAtomic: 52_700n }).amountAtomic).toBe(
			52_700n,
		);
	});

	it('pins the recipient, case-insensitively', () => {
		expect(
			selectRequirement(quote(req()), wallet, {
				payTo: '0x5054ACBBDD6AED95231CBE833F7BF1DB7C248BFF',
			}),
		).toBeDefined();
		expect(() =>
			selectRequirement(quote(req()), wallet, {
				payTo: '0x0000000000000000000000000000000000000001',
			}),
		).toThrow(/"recipient" rule/);
	});

	it('reports the most relevant refusal with the quoted price and limit', () => {
		try {
			selectRequirement(
				quote(req({ scheme: 'upto' }), req({ amountAtomic: 500_000n })),
				wallet,
				{},
			);
			throw new Error('should refuse');
		} catch (error) {
			expect((error as Error).message).toMatch(
				/"max price" rule: the service asks 0\.5 USDC, the limit is 0\.1 USDC/,
			);
			expect((error as { details: Record<string, unknown> }).details).toMatchObject({
				rule: 'max price',
				quotedPriceUsdc: '0.5',
				limit: '0.1',
			});
		}
	});
});

describe('budget', () => {
	it('reserves until the limit, and releases what provably was not paid', () => {
		const budget = new Budget(100_000n);
		expect(budget.reserve(52_700n)).toBe(true);
		expect(budget.reserve(52_700n)).toBe(false);
		expect(budget.spentAtomic).toBe(52_700n);
		budget.release(52_700n);
		expect(budget.reserve(100_000n)).toBe(true);
	});

	it('without a limit it only counts', () => {
		const budget = new Budget();
		for (let i = 0; i < 100; i++) expect(budget.reserve(52_700n)).toBe(true);
		expect(budget.spentAtomic).toBe(5_270_000n);
	});
});

describe('what the signer supports', () => {
	it('refuses a Permit2 quote under the "scheme" rule (this package signs EIP-3009 only)', () => {
		expect(() =>
			selectRequirement(
				quote(
					req({
						raw: { extra: { name: 'USD Coin', version: '2', assetTransferMethod: 'permit2' } },
					}),
				),
				wallet,
				{},
			),
		).toThrow(
			/"scheme" rule: the service asks for a permit2 transfer; this package signs EIP-3009 transfers only/,
		);
		expect(
			selectRequirement(
				quote(
					req({
						raw: { extra: { name: 'USD Coin', version: '2', assetTransferMethod: 'eip3009' } },
					}),
				),
				wallet,
				{},
			).amountAtomic,
		).toBe(52_700n);
	});

	it('refuses a validity above 600 s and accepts exactly 600 s', () => {
		expect(() => selectRequirement(quote(req({ maxTimeoutSeconds: 601 })), wallet, {})).toThrow(
			/"validity" rule/,
		);
		expect(
			selectRequirement(quote(req({ maxTimeoutSeconds: 600 })), wallet, {}).maxTimeoutSeconds,
		).toBe(600);
	});
});
