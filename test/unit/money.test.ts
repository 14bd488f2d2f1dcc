import { formatUsdc, parseAtomic, parseUsdc } from '../../nodes/shared/x402/protocol/money';

describe('USDC amounts', () => {
	it.each([
		['0.0527', 52_700n],
		['0.1', 100_000n],
		['1', 1_000_000n],
		['12.345678', 12_345_678n],
		[0.0527, 52_700n],
		[0.1, 100_000n],
		[1000, 1_000_000_000n],
	])('parses %p', (input, atomic) => {
		expect(parseUsdc(input)).toBe(atomic);
	});

	it.each(['', 'abc', '-1', '1.2345678', '1e3', '0x10', ' 1 2'])('rejects %p', (input) => {
		expect(parseUsdc(input)).toBeUndefined();
	});

	it('rejects negative and non-finite numbers', () => {
		expect(parseUsdc(-0.5)).toBeUndefined();
		expect(parseUsdc(Number.NaN)).toBeUndefined();
		expect(parseUsdc(Number.POSITIVE_INFINITY)).toBeUndefined();
	});

	it.each([
		[52_700n, '0.0527'],
		[100_000n, '0.1'],
		[0n, '0.0'],
		[1_000_000n, '1.0'],
		[1n, '0.000001'],
	])('formats %p as %p', (atomic, text) => {
		expect(formatUsdc(atomic)).toBe(text);
	});

	it('reads atomic amounts as quotes write them', () => {
		expect(parseAtomic('52700')).toBe(52_700n);
		expect(parseAtomic(52_700)).toBe(52_700n);
		expect(parseAtomic('52700.5')).toBeUndefined();
		expect(parseAtomic('-1')).toBeUndefined();
		expect(parseAtomic(undefined)).toBeUndefined();
	});
});
