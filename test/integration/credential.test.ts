/** The credential test (Test button in n8n), through the Generate node's credentialTest method. */
import type { ICredentialTestFunctions } from 'n8n-workflow';
import { startSandbox, type Sandbox } from '../../sandbox';
import { sourceClasses } from '../../harness/engine';
import { expectNoKey } from '../helpers';

let sandbox: Sandbox;
beforeAll(async () => {
	sandbox = await startSandbox({ chain: { payers: 1, usdcPerPayer: 12_345_678n } });
});
afterAll(async () => await sandbox?.close());

async function testCredential(data: Record<string, unknown>) {
	const { generate } = sourceClasses();
	const node = new generate() as unknown as {
		methods: {
			credentialTest: Record<
				string,
				(this: ICredentialTestFunctions, c: unknown) => Promise<{ status: string; message: string }>
			>;
		};
		description: { credentials: Array<{ name: string; testedBy?: string }> };
	};
	const testedBy = node.description.credentials.find((c) => c.name === 'x402WalletApi')
		?.testedBy as string;
	const fn = node.methods.credentialTest[testedBy];
	return await fn.call({} as ICredentialTestFunctions, {
		id: '1',
		name: 'w',
		type: 'x402WalletApi',
		data,
	});
}

it('reports the address and balances of a valid key', async () => {
	const key = sandbox.payers[0].key;
	const result = await testCredential({
		privateKey: key,
		network: 'base',
		maxPaymentUsdc: 0.1,
		rpcUrl: sandbox.chain.rpcUrl,
	});
	expect(result.status).toBe('OK');
	expect(result.message).toContain(sandbox.payers[0].address);
	expect(result.message).toMatch(/holds 12\.345678 USDC and 0\.0 ETH/);
	expect(result.message).toMatch(/cap 0\.1 USDC per request\)/);
	expect(result.message).toMatch(/It sent 0\.0 USDC in the last 24 hours\.$/);
	expectNoKey(result, key);
});

it('with Max Spend per 24 Hours, says the limit and what the wallet sent in the last 24 hours', async () => {
	await sandbox.chain.sendUsdc(
		sandbox.payers[0].key,
		'0x000000000000000000000000000000000000dEaD',
		45_678n,
	);
	const result = await testCredential({
		privateKey: sandbox.payers[0].key,
		network: 'base',
		maxPaymentUsdc: 0.1,
		maxSpend24hUsdc: 2,
		rpcUrl: sandbox.chain.rpcUrl,
	});
	expect(result.message).toMatch(/cap 0\.1 USDC per request, at most 2\.0 USDC per 24 hours\)/);
	expect(result.message).toMatch(/It sent 0\.045678 USDC in the last 24 hours\.$/);
});

it('accepts the key without 0x', async () => {
	const key = sandbox.payers[0].key;
	const result = await testCredential({
		privateKey: key.slice(2),
		network: 'base',
		maxPaymentUsdc: 0.1,
		rpcUrl: sandbox.chain.rpcUrl,
	});
	expect(result.status).toBe('OK');
	expect(result.message).toContain(sandbox.payers[0].address);
});

it('does not fail a valid key when the RPC is unreachable', async () => {
	const key = sandbox.payers[0].key;
	const result = await testCredential({
		privateKey: key,
		network: 'base',
		maxPaymentUsdc: 0.1,
		rpcUrl: 'http://127.0.0.1:9/secret-api-key',
	});
	expect(result.status).toBe('OK');
	expect(result.message).toContain(sandbox.payers[0].address);
	expect(result.message).toMatch(
		/balance could not be read: the RPC at 127\.0\.0\.1:9 did not answer/,
	);
	expect(result.message).not.toContain('secret-api-key');
	expectNoKey(result, key);
});

it.each([
	[
		'a short key',
		(k: string) => k.slice(0, 50),
		/Private Key: has 48 hex characters, 64 are required/,
	],
	[
		'a key with a typo',
		(k: string) => `${k.slice(0, 30)}g${k.slice(31)}`,
		/Private Key: contains characters that are not hexadecimal/,
	],
	['an empty key', () => '', /Private Key: is empty/],
])('fails %s with what is wrong, never echoing it', async (_case, mangle, message) => {
	const bad = mangle(sandbox.payers[0].key);
	const result = await testCredential({ privateKey: bad, network: 'base', maxPaymentUsdc: 0.1 });
	expect(result.status).toBe('Error');
	expect(result.message).toMatch(message);
	if (bad.length > 20) expect(result.message).not.toContain(bad.slice(4, 20));
});

it('fails a bad cap', async () => {
	const result = await testCredential({
		privateKey: sandbox.payers[0].key,
		network: 'base',
		maxPaymentUsdc: 0,
	});
	expect(result).toEqual({
		status: 'Error',
		message: expect.stringMatching(/Max Payment per Request \(USDC\)/),
	});
});
