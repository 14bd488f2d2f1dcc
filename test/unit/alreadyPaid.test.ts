/**
 * The already-paid read (once/alreadyPaid.ts) through the ChainReader seam: the nonces of calls
 * that may have been tried before are read in one batch, a nonce the batch did not cover is asked
 * on its own, and a used one is reported with the transaction that used it, or says why not.
 */
import type { ChainReader } from '../../nodes/shared/x402/chain';
import { AlreadyPaidRead } from '../../nodes/shared/x402/once/alreadyPaid';
import { walletFromCredential } from '../../nodes/shared/x402/wallet/credential';

const PAYER = '0x52908400098527886E0F7030069857D2E4169EE7' as const;
const nonce = (i: number) => `0x${i.toString(16).padStart(64, '0')}` as const;
const wallet = (rpcUrl: string) =>
	walletFromCredential({ privateKey: `0x${'ab'.repeat(32)}`, network: 'base', rpcUrl });
const call = { key: '["item","wf","1","node",0,0]', mayRepeat: true };

function chain(used: Set<string>, found?: { transaction: string; paidAt: string }) {
	const asked = { batches: [] as number[], single: 0, searches: 0 };
	const reader = {
		authorizationsUsed: async (_payer: string, nonces: string[]) => {
			asked.batches.push(nonces.length);
			return nonces.map((n) => used.has(n));
		},
		authorizationUsed: async (_payer: string, n: string) => {
			asked.single++;
			return used.has(n);
		},
		findAuthorizationUse: async () => {
			asked.searches++;
			if (found === undefined) return undefined;
			return {
				...found,
				blockNumber: 7n,
				payTo: '0x5054acbbdd6aed95231cbe833f7bf1db7c248bff',
				amountAtomic: 52_700n,
			};
		},
	} as unknown as ChainReader;
	return { reader, asked };
}

it('reads the expected nonces in one batch, and asks alone for one it did not cover', async () => {
	const { reader, asked } = chain(new Set([nonce(2)]));
	const read = new AlreadyPaidRead(
		async () => reader,
		async () => PAYER,
		wallet('https://rpc.x/'),
	);
	read.expect([nonce(1), nonce(2), nonce(3)]);
	read.expect([nonce(9)]); // once per run: the first batch stands
	expect(await read.used(nonce(1))).toBe(false);
	expect(await read.used(nonce(2))).toBe(true);
	expect(asked).toMatchObject({ batches: [3], single: 0 });
	expect(await read.used(nonce(9))).toBe(false);
	expect(asked.single).toBe(1);
});

it('a batch the RPC refused leaves each nonce to be asked on its own', async () => {
	const { reader, asked } = chain(new Set([nonce(1)]));
	const broken = {
		...reader,
		authorizationsUsed: async () => {
			throw new Error('RPC down');
		},
	} as ChainReader;
	const read = new AlreadyPaidRead(
		async () => broken,
		async () => PAYER,
		wallet('https://rpc.x/'),
	);
	read.expect([nonce(1)]);
	expect(await read.used(nonce(1))).toBe(true);
	expect(asked.single).toBe(1);
});

it('reports a used nonce with its transaction, amount, recipient and explorer link', async () => {
	const tx = `0x${'cd'.repeat(32)}`;
	const { reader } = chain(new Set(), { transaction: tx, paidAt: '2026-12-07T10:00:00.000Z' });
	const read = new AlreadyPaidRead(
		async () => reader,
		async () => PAYER,
		wallet('https://rpc.x/'),
	);
	const report = await read.report(call, nonce(5));
	expect(report.earlier).toMatchObject({
		payer: PAYER,
		nonce: nonce(5),
		paymentKey: call.key,
		transaction: tx,
		amountUsdc: '0.0527',
		explorerUrl: `https://basescan.org/tx/${tx}`,
	});
	expect(report.message).toMatch(
		/^Already paid: an earlier try of this call paid for it \(0\.0527 USDC\)/,
	);
	expect(report.details).toMatchObject({ signed: false, alreadyPaid: true, settlement: 'charged' });
});

it('says why the transaction is missing: older than the search, or the RPC did not answer', async () => {
	const older = new AlreadyPaidRead(
		async () => chain(new Set()).reader,
		async () => PAYER,
		wallet('http://127.0.0.1:8545/'),
	);
	expect((await older.report(call, nonce(1))).earlier.lookupNote).toMatch(/older than the last/);
	const down = new AlreadyPaidRead(
		async () => {
			throw new Error('RPC down');
		},
		async () => PAYER,
		wallet('https://rpc.x/'),
	);
	expect((await down.report(call, nonce(1))).earlier.lookupNote).toMatch(/the RPC did not answer/);
});
