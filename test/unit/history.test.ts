/**
 * The spending history's reading rules, through the ChainReader seam (the local chain tests in
 * test/integration/daily-limit.test.ts cover the whole path): what a first and a later read ask,
 * how blocks are dated, and that a reorganised block's transfer is dropped.
 */
import { NETWORKS } from '../../nodes/shared/x402/protocol/assets';
import {
	addressTopic,
	TOPICS,
	type ChainLog,
	type ChainReader,
} from '../../nodes/shared/x402/chain';
import { readSpending } from '../../nodes/shared/x402/wallet/history';
import { forgetProcessTables } from '../helpers';

const WALLET = '0x00000000000000000000000000000000000000aa' as const;
const USDC = NETWORKS.base.usdc.address.toLowerCase();

/** A chain of blocks 2 s apart ending at `tip`, with transfers out of WALLET. */
function fakeChain() {
	const state = {
		tip: 100_000n,
		tipTime: 1_800_000_000,
		transfers: [] as Array<{ block: bigint; amount: bigint; tx: string }>,
		calls: [] as string[],
	};
	const timeOf = (block: bigint) => state.tipTime - Number(state.tip - block) * 2;
	const log = (t: (typeof state.transfers)[number], i: number): ChainLog => ({
		address: USDC,
		blockNumber: t.block,
		transactionHash: t.tx,
		logIndex: i,
		topics: [TOPICS.transfer, addressTopic(WALLET), addressTopic('0x' + 'b'.repeat(40))],
		data: `0x${t.amount.toString(16)}`,
	});
	const logsIn = (from: bigint, to: bigint) =>
		state.transfers.map(log).filter((l) => l.blockNumber >= from && l.blockNumber <= to);
	const reader = {
		latestBlock: async () => (
			state.calls.push('latestBlock'),
			{ number: state.tip, timestamp: state.tipTime }
		),
		blockTimes: async (blocks: bigint[]) => {
			state.calls.push(`blockTimes(${blocks.length})`);
			return new Map(blocks.map((b) => [b, timeOf(b)]));
		},
		logs: async (q: { fromBlock: bigint; toBlock: bigint }) => {
			state.calls.push('logs');
			return logsIn(q.fromBlock, q.toBlock);
		},
		tipAndLogs: async (_topics: unknown, from: bigint) => {
			state.calls.push(`tipAndLogs(${from})`);
			return {
				tip: { number: state.tip, timestamp: state.tipTime },
				logs: logsIn(from, state.tip),
			};
		},
	} as unknown as ChainReader;
	const advance = (blocks: number) => {
		state.tip += BigInt(blocks);
		state.tipTime += blocks * 2;
	};
	return { state, reader, advance, timeOf };
}

beforeEach(() => forgetProcessTables());

it('a first read covers a day of blocks with exact block times; a later one reads from the last blocks again, dated by the newest block, with no extra request', async () => {
	const chain = fakeChain();
	chain.state.transfers.push(
		{ block: chain.state.tip - 50_000n, amount: 1n, tx: '0xold' }, // more than a day back
		{ block: chain.state.tip - 40_000n, amount: 10n, tx: '0xa' },
		{ block: chain.state.tip - 5n, amount: 100n, tx: '0xb' },
	);
	const first = await readSpending(chain.reader, NETWORKS.base, WALLET);
	expect(first.spentAtomic).toBe(110n);
	expect(first.transfers.map((o) => o.time)).toEqual([
		chain.timeOf(chain.state.tip - 40_000n),
		chain.timeOf(chain.state.tip - 5n),
	]);
	expect(chain.state.calls).toContain('blockTimes(2)');

	const lastTip = chain.state.tip;
	chain.advance(30);
	chain.state.transfers.push({ block: chain.state.tip - 1n, amount: 1_000n, tx: '0xc' });
	chain.state.calls.length = 0;
	const later = await readSpending(chain.reader, NETWORKS.base, WALLET);
	expect(chain.state.calls).toEqual([`tipAndLogs(${lastTip - 11n})`]);
	expect(later.spentAtomic).toBe(1_110n);
	const [a, b, c] = later.transfers;
	expect(b.time).toBe(first.transfers[1].time); // already read: its exact time is kept
	expect(c.time).toBe(chain.state.tipTime); // new: dated by the newest block, never earlier
	expect(c.time).toBeGreaterThanOrEqual(chain.timeOf(c.blockNumber));
	expect(a.transaction).toBe('0xa');
});

it('a transfer in the re-read blocks that the chain no longer shows (a reorganisation) is dropped', async () => {
	const chain = fakeChain();
	chain.state.transfers.push({ block: chain.state.tip - 3n, amount: 7n, tx: '0xreorged' });
	expect((await readSpending(chain.reader, NETWORKS.base, WALLET)).spentAtomic).toBe(7n);
	chain.state.transfers.length = 0;
	chain.advance(2);
	expect((await readSpending(chain.reader, NETWORKS.base, WALLET)).spentAtomic).toBe(0n);
});

it('after more than an hour, new transfers are dated by their blocks; transfers leave the window after 24 hours', async () => {
	const chain = fakeChain();
	chain.state.transfers.push({ block: chain.state.tip - 10n, amount: 5n, tx: '0xd' });
	await readSpending(chain.reader, NETWORKS.base, WALLET);
	chain.advance(2_000); // over an hour
	chain.state.transfers.push({ block: chain.state.tip - 1_000n, amount: 50n, tx: '0xe' });
	chain.state.calls.length = 0;
	const view = await readSpending(chain.reader, NETWORKS.base, WALLET);
	expect(chain.state.calls).toContain('blockTimes(1)');
	expect(view.transfers[1].time).toBe(chain.timeOf(chain.state.tip - 1_000n));
	chain.advance(43_200 - 1_100); // 0xd is now older than a day; 0xe (200 s younger) is not
	expect((await readSpending(chain.reader, NETWORKS.base, WALLET)).spentAtomic).toBe(50n);
});

it('on Base Sepolia, only the transfers of Base Sepolia USDC count', async () => {
	const chain = fakeChain();
	chain.state.transfers.push({ block: chain.state.tip - 5n, amount: 9n, tx: '0xbase' });
	// fakeChain's logs come from Base USDC: a Base Sepolia wallet ignores them.
	expect((await readSpending(chain.reader, NETWORKS['base-sepolia'], WALLET)).spentAtomic).toBe(0n);
	forgetProcessTables();
	expect((await readSpending(chain.reader, NETWORKS.base, WALLET)).spentAtomic).toBe(9n);
});
