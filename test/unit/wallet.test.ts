import { generatePrivateKey } from 'viem/accounts';
import { NanoBananaError } from '../../nodes/shared/errors';
import {
	normalizePrivateKey,
	walletFromCredential,
} from '../../nodes/shared/x402/wallet/credential';

/** A throwaway key made for this run. */
const KEY = generatePrivateKey();

function failure(fn: () => unknown): NanoBananaError {
	try {
		fn();
	} catch (error) {
		return error as NanoBananaError;
	}
	throw new Error('expected a failure');
}

describe('private key validation', () => {
	it('accepts 64 hex characters with or without 0x, trimmed, any case', () => {
		expect(normalizePrivateKey(KEY)).toBe(KEY);
		expect(normalizePrivateKey(KEY.slice(2))).toBe(KEY);
		expect(normalizePrivateKey(`  ${KEY.toUpperCase().replace('0X', '0x')}\n`)).toBe(KEY);
	});

	it.each([
		['empty', '', /Private Key: is empty/],
		['too short', KEY.slice(0, 40), /has 38 hex characters, 64 are required/],
		['too long', `${KEY}00`, /has 66 hex characters/],
		['not hex', `${KEY.slice(0, 60)}zzzz`, /not hexadecimal/],
		[
			'a seed phrase',
			'test test test test test test test test test test test junk',
			/not hexadecimal/,
		],
		['zero', `0x${'0'.repeat(64)}`, /not a valid secp256k1/],
		['above the curve order', `0x${'f'.repeat(64)}`, /not a valid secp256k1/],
	])('refuses %s, naming the field and never echoing the key', (_case, key, message) => {
		const error = failure(() => normalizePrivateKey(key));
		expect(error).toBeInstanceOf(NanoBananaError);
		expect(error.kind).toBe('input');
		expect(error.field).toBe('Private Key');
		expect(error.message).toMatch(message);
		const hex = key.replace(/^0x/, '');
		if (hex.length >= 16) {
			expect(`${error.message} ${error.hint} ${JSON.stringify(error.details)}`).not.toContain(
				hex.slice(0, 16),
			);
		}
	});

	it('refuses a non-string key', () => {
		expect(failure(() => normalizePrivateKey(undefined)).message).toMatch(/is empty/);
		expect(failure(() => normalizePrivateKey(123)).message).toMatch(/is empty/);
	});
});

describe('credential data', () => {
	it('defaults to Base, a 0.10 USDC cap and the public RPC', () => {
		const wallet = walletFromCredential({ privateKey: KEY });
		expect(wallet.network.key).toBe('base');
		expect(wallet.network.chainId).toBe(8453);
		expect(wallet.capAtomic).toBe(100_000n);
		expect(wallet.rpcUrl).toBe('https://mainnet.base.org');
	});

	it('reads Base Sepolia and a custom cap and RPC', () => {
		const wallet = walletFromCredential({
			privateKey: KEY,
			network: 'base-sepolia',
			maxPaymentUsdc: 0.5,
			rpcUrl: ' http://127.0.0.1:8545 ',
		});
		expect(wallet.network.chainId).toBe(84532);
		expect(wallet.network.usdc.address).toBe('0x036CbD53842c5426634e7929541eC2318f3dCF7e');
		expect(wallet.capAtomic).toBe(500_000n);
		expect(wallet.rpcUrl).toBe('http://127.0.0.1:8545');
	});

	it.each([
		[{ network: 'ethereum' }, /Network: "ethereum" is not supported/],
		[{ maxPaymentUsdc: 0 }, /Max Payment per Request \(USDC\): must be a number above 0/],
		[{ maxPaymentUsdc: -1 }, /Max Payment per Request/],
		[{ maxPaymentUsdc: 5000 }, /at most 1000/],
		[{ rpcUrl: 'ftp://x' }, /RPC URL: must be an http\(s\) URL/],
		[{ maxSpend24hUsdc: -5 }, /^Max Spend per 24 Hours \(USDC\): must be a number of 0 or more$/],
		[{ maxSpend24hUsdc: 'lots' }, /^Max Spend per 24 Hours \(USDC\)/],
		[
			{ rpcUrl: 'https://me:rpc-pass@rpc.example.com/' },
			/^RPC URL: contains a user name or password$/,
		],
	])('refuses %p', (extra, message) => {
		const error = failure(() => walletFromCredential({ privateKey: KEY, ...extra }));
		expect(error.message).toMatch(message);
		expect(error.message + (error.hint ?? '')).not.toContain(KEY.slice(2, 20));
	});

	it('reads Max Spend per 24 Hours; 0 or empty is no limit', () => {
		expect(walletFromCredential({ privateKey: KEY, maxSpend24hUsdc: 5 }).dailyLimitAtomic).toBe(
			5_000_000n,
		);
		expect(walletFromCredential({ privateKey: KEY, maxSpend24hUsdc: 0 }).dailyLimitAtomic).toBe(
			undefined,
		);
		expect(walletFromCredential({ privateKey: KEY }).dailyLimitAtomic).toBe(undefined);
	});

	it('freezes the wallet so no code can swap the key or cap', () => {
		const wallet = walletFromCredential({ privateKey: KEY });
		expect(Object.isFrozen(wallet)).toBe(true);
	});

	it('reads Allowed Recipients and Allowed Hosts for Payments; a credential saved before them allows any', () => {
		const old = walletFromCredential({ privateKey: KEY });
		expect(old.allowedPayTo).toBeUndefined();
		expect(old.allowedPayHosts).toBeUndefined();
		const wallet = walletFromCredential({
			privateKey: KEY,
			allowedRecipients:
				'0x5054ACBBDD6AED95231CBE833F7BF1DB7C248BFF,\n 0x0000000000000000000000000000000000000001',
			allowedPayHosts: 'x402.dopamint.ai, *.example.com:8443',
		});
		expect(wallet.allowedPayTo).toEqual([
			'0x5054acbbdd6aed95231cbe833f7bf1db7c248bff',
			'0x0000000000000000000000000000000000000001',
		]);
		expect(wallet.allowedPayHosts).toEqual([
			{ host: 'x402.dopamint.ai' },
			{ host: '*.example.com', port: '8443' },
		]);
		expect(() => walletFromCredential({ privateKey: KEY, allowedRecipients: 'dopamint' })).toThrow(
			/^Allowed Recipients: "dopamint" is not an address/,
		);
		expect(() =>
			walletFromCredential({ privateKey: KEY, allowedPayHosts: 'user:pw@x402.dopamint.ai' }),
		).toThrow(/^Allowed Hosts for Payments: an entry contains a user name or password/);
	});
});
