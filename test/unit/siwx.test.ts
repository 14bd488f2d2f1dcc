/**
 * sign-in-with-x: what this package signs (an EIP-4361 message for the origin that asked, on the
 * credential's chain, issued now, expiring within 600 s) and what it refuses, checked against the
 * official @x402/extensions code (its message layout and its signature check).
 */
import {
	formatSIWEMessage,
	parseSIWxHeader,
	verifySIWxSignature,
} from '@x402/extensions/sign-in-with-x';
import { signInMessage, signInOffered, type SignIn } from '../../nodes/shared/x402/protocol/siwx';
import { Signer } from '../../nodes/shared/x402/signer';
import { walletFromCredential } from '../../nodes/shared/x402/wallet/credential';

const URL_ = 'https://api.example.com/jobs/42';
const NOW = Date.parse('2026-12-07T10:00:00.000Z');
const offer = (info: Record<string, unknown>, chainId = 'eip155:8453') => ({
	'sign-in-with-x': {
		info: {
			domain: 'api.example.com',
			uri: 'https://api.example.com/jobs/42',
			version: '1',
			nonce: 'a1b2c3d4e5f60718',
			issuedAt: '2026-12-07T09:00:00.000Z',
			...info,
		},
		supportedChains: [{ chainId, type: 'eip191' }],
	},
});

it('signs for the origin that asked, on the credential chain, issued now, expiring within 600 s', () => {
	const signIn = signInOffered(
		offer({ expirationTime: '2027-01-01T00:00:00.000Z' }),
		URL_,
		8453,
		NOW,
	);
	expect(signIn).toMatchObject({
		domain: 'api.example.com',
		chainId: 'eip155:8453',
		issuedAt: '2026-12-07T10:00:00.000Z',
		expirationTime: '2026-12-07T10:10:00.000Z',
	});
	const shorter = signInOffered(
		offer({ expirationTime: '2026-12-07T10:01:00.000Z' }),
		URL_,
		8453,
		NOW,
	);
	expect((shorter as SignIn).expirationTime).toBe('2026-12-07T10:01:00.000Z');
});

it('refuses a challenge for another origin or another chain, and has nothing to say without one', () => {
	expect(signInOffered(offer({ domain: 'evil.example' }), URL_, 8453, NOW)).toMatchObject({
		refused: expect.stringMatching(/is for evil\.example, not for api\.example\.com/),
	});
	expect(
		signInOffered(offer({ uri: 'https://evil.example/jobs/42' }), URL_, 8453, NOW),
	).toMatchObject({ refused: expect.any(String) });
	expect(signInOffered(offer({}, 'eip155:1'), URL_, 8453, NOW)).toMatchObject({
		refused: 'it offers no sign-in on eip155:8453',
	});
	expect(signInOffered({ bazaar: {} }, URL_, 8453, NOW)).toBeUndefined();
});

it('lays the message out as the official code does, and signs it so the official check accepts it', async () => {
	const wallet = walletFromCredential({ privateKey: `0x${'ab'.repeat(32)}`, network: 'base' });
	const signer = await Signer.load(wallet);
	for (const extra of [
		{},
		{ statement: 'Sign in to read', resources: ['https://api.example.com/jobs/42'] },
	]) {
		const signIn = signInOffered(offer(extra), URL_, 8453, Date.now()) as SignIn;
		expect(signInMessage(signIn, signer.address)).toBe(
			formatSIWEMessage(signIn as Parameters<typeof formatSIWEMessage>[0], signer.address),
		);
		const header = await signer.signIn(signIn);
		const payload = parseSIWxHeader(header['SIGN-IN-WITH-X']);
		await expect(verifySIWxSignature(payload)).resolves.toMatchObject({
			isValid: true,
			payer: signer.address,
		});
	}
});
