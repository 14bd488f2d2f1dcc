/** What a wallet is, as the credential test and Dry Run show it: one reading for both. */
import { walletFromCredential } from '../../nodes/shared/x402/wallet/credential';
import { walletJson } from '../../nodes/shared/walletJson';
import type { ChainReader } from '../../nodes/shared/x402/chain';
import { walletFacts, walletSentence } from '../../nodes/shared/x402/wallet/facts';

const ADDRESS = '0x52908400098527886E0F7030069857D2E4169EE7';
const wallet = walletFromCredential({
	privateKey: `0x${'ab'.repeat(32)}`,
	network: 'base',
	maxPaymentUsdc: 0.1,
	rpcUrl: 'https://base.example/v2/secret-api-key',
});
const chain = (usdc: bigint) => async () =>
	({ usdcBalance: async () => usdc, ethBalance: async () => 10n ** 15n }) as unknown as ChainReader;
const down = async (): Promise<ChainReader> => {
	throw new Error('RPC down');
};

it('shows the address to fund, the balance and the images it covers', async () => {
	const facts = await walletFacts(ADDRESS, chain(200_000n), true);
	expect(walletJson(wallet, facts, 52_700n)).toEqual({
		address: ADDRESS,
		network: 'Base',
		usdcBalance: '0.2',
		imagesCovered: 3,
	});
	expect(walletSentence(wallet, facts)).toBe(
		`Wallet ${ADDRESS} (Base, cap 0.1 USDC per request) holds 0.2 USDC and 0.001 ETH.`,
	);
	expect(walletJson(wallet, await walletFacts(ADDRESS, chain(10_000n)), 52_700n)).toMatchObject({
		imagesCovered: 0,
		fundingNote: `Send USDC on Base to ${ADDRESS} before running without Dry Run.`,
	});
});

it('says a balance could not be read, naming the RPC by its host only', async () => {
	const facts = await walletFacts(ADDRESS, down, true);
	expect(facts).toEqual({ address: ADDRESS });
	const json = walletJson(wallet, facts, 52_700n);
	expect(json).toMatchObject({
		usdcBalance: null,
		balanceNote: expect.stringContaining('the RPC at base.example did not answer'),
	});
	expect(JSON.stringify(json)).not.toContain('secret-api-key');
	expect(walletSentence(wallet, facts)).toMatch(
		/^Key is valid: wallet 0x.* Its balance could not be read: the RPC at base\.example did not answer/,
	);
});
