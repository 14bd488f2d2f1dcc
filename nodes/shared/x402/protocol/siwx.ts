/**
 * sign-in-with-x (x402-foundation/x402 specs/extensions/sign-in-with-x.md): a 402 may offer a
 * wallet sign-in, so a wallet that paid before (or a route that only asks who you are) is let in
 * without paying. The client signs a CAIP-122 / EIP-4361 message and sends it, base64 JSON, in the
 * SIGN-IN-WITH-X header.
 *
 * What this package signs, and nothing else: an EIP-4361 text message (EIP-191, never typed data
 * or a transaction) whose domain and URI are the origin of the URL that answered the 402, with the
 * credential's chain id, an `issuedAt` of now and an expiry of at most SIWX_MAX_SECONDS (set or
 * shortened here: a server may leave it out). A challenge for another origin or chain is refused.
 */

import { SIWX_MAX_SECONDS } from '../../limits';

export const SIGN_IN_WITH_X = 'sign-in-with-x';

/** The fields of one sign-in, as the server declared them and this package completed them. */
export interface SignIn {
	domain: string;
	uri: string;
	version: string;
	chainId: string;
	type: string;
	nonce: string;
	issuedAt: string;
	expirationTime: string;
	statement?: string;
	notBefore?: string;
	requestId?: string;
	resources?: string[];
	signatureScheme?: string;
}

/** The sign-in a 402 offers for `url` on `chainId`, or why it cannot be signed (undefined: none). */
export function signInOffered(
	extensions: unknown,
	url: string,
	chainId: number,
	now: number,
): SignIn | { refused: string } | undefined {
	const offer = (extensions as Record<string, unknown> | undefined)?.[SIGN_IN_WITH_X] as
		| {
				info?: Record<string, unknown>;
				supportedChains?: Array<{ chainId?: unknown; type?: unknown }>;
		  }
		| undefined;
	if (!offer?.info || typeof offer.info !== 'object') return undefined;
	const info = offer.info;
	const caip = `eip155:${chainId}`;
	const chain = (offer.supportedChains ?? []).find((c) => c.chainId === caip);
	if (!chain) return { refused: `it offers no sign-in on ${caip}` };
	const origin = new URL(url);
	const text = (key: string) => (typeof info[key] === 'string' ? (info[key] as string) : undefined);
	const domain = text('domain');
	const uri = text('uri');
	const nonce = text('nonce');
	if (!domain || !uri || !nonce)
		return { refused: 'its sign-in challenge lacks domain, uri or nonce' };
	let uriOrigin: string | undefined;
	try {
		uriOrigin = new URL(uri).origin;
	} catch {
		uriOrigin = undefined;
	}
	if (domain !== origin.host || uriOrigin !== origin.origin)
		return { refused: `its sign-in challenge is for ${domain}, not for ${origin.host}` };
	const issuedAt = new Date(now).toISOString();
	const latest = now + SIWX_MAX_SECONDS * 1000;
	const asked = text('expirationTime') ? Date.parse(text('expirationTime') as string) : NaN;
	const expires = Number.isFinite(asked) && asked < latest ? asked : latest;
	const resources = Array.isArray(info.resources)
		? info.resources.filter((r): r is string => typeof r === 'string')
		: undefined;
	return {
		domain,
		uri,
		version: text('version') ?? '1',
		chainId: caip,
		type: typeof chain.type === 'string' ? chain.type : 'eip191',
		nonce,
		issuedAt,
		expirationTime: new Date(expires).toISOString(),
		...(text('statement') ? { statement: text('statement') } : {}),
		...(text('notBefore') ? { notBefore: text('notBefore') } : {}),
		...(text('requestId') ? { requestId: text('requestId') } : {}),
		...(resources?.length ? { resources } : {}),
	};
}

/** The EIP-4361 message of a sign-in for `address` (EIP-55), exactly as the standard lays it out. */
export function signInMessage(signIn: SignIn, address: string): string {
	const lines = [
		`${signIn.domain} wants you to sign in with your Ethereum account:`,
		address,
		'',
		...(signIn.statement ? [signIn.statement, ''] : ['']),
		`URI: ${signIn.uri}`,
		`Version: ${signIn.version}`,
		`Chain ID: ${signIn.chainId.split(':')[1]}`,
		`Nonce: ${signIn.nonce}`,
		`Issued At: ${signIn.issuedAt}`,
		`Expiration Time: ${signIn.expirationTime}`,
		...(signIn.notBefore ? [`Not Before: ${signIn.notBefore}`] : []),
		...(signIn.requestId ? [`Request ID: ${signIn.requestId}`] : []),
		...(signIn.resources?.length ? ['Resources:', ...signIn.resources.map((r) => `- ${r}`)] : []),
	];
	return lines.join('\n');
}

/** The SIGN-IN-WITH-X header: the signed sign-in as base64 JSON. */
export function signInHeader(signIn: SignIn, address: string, signature: string) {
	const payload = { ...signIn, address, signature };
	return {
		[SIGN_IN_WITH_X.toUpperCase()]: Buffer.from(JSON.stringify(payload)).toString('base64'),
	};
}
