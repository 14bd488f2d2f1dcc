import { InputError } from '../../errors';
import { MAX_CAP_USDC } from '../../limits';
import { isNetworkKey, NETWORKS, type KnownNetwork } from '../protocol/assets';
import { parseHostList, type HostRule } from '../../urls';
import { parseUsdc } from '../protocol/money';

/**
 * The wallet as the payment core needs it. The key never leaves this object except into the signer.
 */
export interface Wallet {
	readonly privateKey: `0x${string}`;
	readonly network: KnownNetwork;
	/** Hard cap per payment from the credential, atomic USDC. */
	readonly capAtomic: bigint;
	/** RPC for read-only checks (balances, authorization state); never needed to sign. */
	readonly rpcUrl: string;
	/** Most the wallet may send in any 24 hours, read from the chain (absent: no such limit). */
	readonly dailyLimitAtomic?: bigint;
	/** The only addresses the wallet may pay (absent: any). Only the credential's owner sets it. */
	readonly allowedPayTo?: readonly string[];
	/** The only hosts a paid request may go to (absent: any). Only the credential's owner sets it. */
	readonly allowedPayHosts?: readonly HostRule[];
}

/**
 * Validates a private key without ever putting it (or any part of it) in a message.
 * Accepts 64 hex characters with or without `0x`, surrounding white space ignored.
 */
export function normalizePrivateKey(raw: unknown): `0x${string}` {
	if (typeof raw !== 'string' || raw.trim() === '') {
		throw new InputError(
			'Private Key',
			'is empty',
			'Paste the 64-character hex private key of the paying wallet into the credential.',
		);
	}
	const text = raw.trim();
	const hex = text.startsWith('0x') || text.startsWith('0X') ? text.slice(2) : text;
	if (!/^[0-9a-fA-F]*$/.test(hex)) {
		throw new InputError(
			'Private Key',
			'contains characters that are not hexadecimal',
			'A private key is 64 characters 0-9 and a-f, optionally prefixed with 0x. A seed phrase (words) is not accepted.',
		);
	}
	if (hex.length !== 64) {
		throw new InputError(
			'Private Key',
			`has ${hex.length} hex characters, 64 are required`,
			'Copy the whole private key (32 bytes = 64 hex characters), optionally prefixed with 0x.',
		);
	}
	if (/^0+$/.test(hex) || BigInt(`0x${hex}`) >= SECP256K1_N) {
		throw new InputError(
			'Private Key',
			'is not a valid secp256k1 private key',
			'Export the key again from your wallet.',
		);
	}
	return `0x${hex.toLowerCase()}`;
}

const SECP256K1_N = BigInt('0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');

/** Reads and validates the `x402WalletApi` credential data. */
export function walletFromCredential(data: Record<string, unknown>): Wallet {
	const privateKey = normalizePrivateKey(data.privateKey);
	const networkKey = data.network ?? 'base';
	if (!isNetworkKey(networkKey)) {
		throw new InputError(
			'Network',
			`"${String(networkKey)}" is not supported`,
			`Choose one of: ${Object.keys(NETWORKS).join(', ')}.`,
		);
	}
	const network = NETWORKS[networkKey];
	const capAtomic = parseUsdc(
		data.maxPaymentUsdc === undefined ? '0.10' : (data.maxPaymentUsdc as string | number),
	);
	const ceiling = parseUsdc(MAX_CAP_USDC) as bigint;
	if (capAtomic === undefined || capAtomic <= 0n || capAtomic > ceiling) {
		throw new InputError(
			'Max Payment per Request (USDC)',
			`must be a number above 0 and at most ${MAX_CAP_USDC}`,
			'Set the largest amount one request may cost, e.g. 0.10.',
		);
	}
	const rpcUrl =
		typeof data.rpcUrl === 'string' && data.rpcUrl.trim() !== ''
			? data.rpcUrl.trim()
			: network.publicRpcUrl;
	if (!/^https?:\/\/[^\s]+$/i.test(rpcUrl)) {
		throw new InputError(
			'RPC URL',
			'must be an http(s) URL',
			"Leave it empty to use the network's public RPC.",
		);
	}
	if (/^https?:\/\/[^/]*@/i.test(rpcUrl)) {
		// Never echoed: it would carry the RPC password.
		throw new InputError(
			'RPC URL',
			'contains a user name or password',
			"Use the provider's URL with the key in its path (as Alchemy, Infura and QuickNode give it), or leave it empty.",
		);
	}
	const rawDaily = data.maxSpend24hUsdc;
	let dailyLimitAtomic: bigint | undefined;
	if (rawDaily !== undefined && rawDaily !== null && rawDaily !== '' && rawDaily !== 0) {
		dailyLimitAtomic = parseUsdc(rawDaily as string | number);
		if (dailyLimitAtomic === undefined || dailyLimitAtomic < 0n)
			throw new InputError(
				'Max Spend per 24 Hours (USDC)',
				'must be a number of 0 or more',
				'E.g. 5 for five dollars a day; 0 turns the limit off.',
			);
		if (dailyLimitAtomic === 0n) dailyLimitAtomic = undefined;
	}
	// Credentials saved before these fields existed have neither: any recipient, any host.
	const allowedPayTo = addressList(data.allowedRecipients, 'Allowed Recipients');
	const allowedPayHosts = parseHostList(data.allowedPayHosts, 'Allowed Hosts for Payments');
	return Object.freeze({
		privateKey,
		network,
		capAtomic,
		rpcUrl,
		...(dailyLimitAtomic !== undefined ? { dailyLimitAtomic } : {}),
		...(allowedPayTo.length ? { allowedPayTo } : {}),
		...(allowedPayHosts.length ? { allowedPayHosts } : {}),
	});
}

/** Addresses separated by commas, spaces or lines; throws naming the field and the bad entry. */
function addressList(value: unknown, field: string): string[] {
	if (value === undefined || value === null || value === '') return [];
	if (typeof value !== 'string')
		throw new InputError(field, 'must be text: addresses separated by commas', 'E.g. 0x5054…bff.');
	return value
		.split(/[,\s]+/)
		.filter(Boolean)
		.map((entry) => {
			if (!/^0x[0-9a-fA-F]{40}$/.test(entry))
				throw new InputError(
					field,
					`"${entry.slice(0, 60)}" is not an address`,
					'Write 0x addresses of 40 hex characters, separated by commas.',
				);
			return entry.toLowerCase();
		});
}
