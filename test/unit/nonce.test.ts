/**
 * Derived nonces: the same for every try of one call, different for every other call and
 * every other wallet, and never a carrier of key material.
 */
import { createHash, createHmac } from 'node:crypto';
import { nonceFor, nonceSecret } from '../../nodes/shared/x402/once/nonce';

const KEY_A = `0x${'ab'.repeat(32)}` as const;
const KEY_B = `0x${'cd'.repeat(32)}` as const;
const CALL = JSON.stringify(['item', 'wf-1', 'exec-7', 'node-uuid', 0, 3]);

it('gives every try of one call the same 32-byte nonce', () => {
	const first = nonceFor(nonceSecret(KEY_A), CALL);
	// A new process, a new session, a Retry: only the key and the call's key go in.
	const again = nonceFor(
		nonceSecret(`0x${'AB'.repeat(32).toLowerCase()}`),
		JSON.stringify(['item', 'wf-1', 'exec-7', 'node-uuid', 0, 3]),
	);
	expect(first).toMatch(/^0x[0-9a-f]{64}$/);
	expect(again).toBe(first);
});

it('gives other calls and other wallets other nonces', () => {
	const secret = nonceSecret(KEY_A);
	const calls = [
		CALL,
		JSON.stringify(['item', 'wf-1', 'exec-7', 'node-uuid', 0, 4]), // another item
		JSON.stringify(['item', 'wf-1', 'exec-7', 'node-uuid', 1, 3]), // another loop run
		JSON.stringify(['item', 'wf-1', 'exec-8', 'node-uuid', 0, 3]), // another execution
		JSON.stringify(['item', 'wf-2', 'exec-7', 'node-uuid', 0, 3]), // another workflow
		JSON.stringify(['idempotency key', 'wf-1', 'node-uuid', '3']),
		JSON.stringify(['tool call', 'wf-1', 'exec-7', 'node-uuid', 'call_1', 'abc']),
		JSON.stringify(['tool call', 'wf-1', 'exec-7', 'node-uuid', 'call_2', 'abc']),
	];
	const nonces = calls.map((call) => nonceFor(secret, call));
	expect(new Set(nonces).size).toBe(calls.length);
	expect(nonceFor(nonceSecret(KEY_B), CALL)).not.toBe(nonceFor(secret, CALL));
});

it('derives the secret from the key under a domain tag, and the nonce from the secret only', () => {
	const secret = nonceSecret(KEY_A);
	// The documented construction, written out independently.
	const expectedSecret = createHmac('sha256', Buffer.from(KEY_A.slice(2), 'hex'))
		.update('n8n-nodes-nano-banana/eip3009-nonce/v1')
		.digest();
	expect(secret.equals(expectedSecret)).toBe(true);
	expect(nonceFor(secret, CALL)).toBe(
		`0x${createHmac('sha256', expectedSecret).update(CALL).digest('hex')}`,
	);
	// Not guessable from public data: neither a plain hash of the call nor one of the key.
	expect(nonceFor(secret, CALL)).not.toBe(`0x${createHash('sha256').update(CALL).digest('hex')}`);
	expect(secret.toString('hex')).not.toBe(
		createHash('sha256')
			.update(Buffer.from(KEY_A.slice(2), 'hex'))
			.digest('hex'),
	);
});

it('puts no key material in a nonce', () => {
	for (const key of [KEY_A, KEY_B, `0x${'0'.repeat(63)}1` as const]) {
		const hexKey = key.slice(2);
		const nonce = nonceFor(nonceSecret(key), CALL).slice(2);
		for (let i = 0; i + 8 <= hexKey.length; i += 4)
			expect(nonce).not.toContain(hexKey.slice(i, i + 8));
		expect(nonceSecret(key).toString('hex')).not.toContain(hexKey.slice(0, 16));
	}
});
