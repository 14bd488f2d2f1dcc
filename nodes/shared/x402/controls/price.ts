/**
 * The controls that judge an offer alone: the credential's Max Payment per Request, the node's
 * own cap (Max Price), the pinned recipient (Expected Recipient), and the credential's Allowed
 * Recipients and Allowed Hosts for Payments (which only its owner can widen).
 */

import { hostAllowed, redactUrl, type HostRule } from '../../urls';
import { sameAddress } from '../protocol/assets';
import { formatUsdc } from '../protocol/money';
import { judge, PolicyError, type Control } from './control';

/** A cap per payment: refuses an offer above `capAtomic`, naming where the cap is set. */
export function priceCap(capAtomic: bigint, setIn: string): Control {
	return judge('max price', (offer) =>
		offer.amountAtomic > capAtomic
			? new PolicyError(
					'max price',
					offer,
					`the service asks ${formatUsdc(offer.amountAtomic)} USDC, the limit is ${formatUsdc(capAtomic)} USDC (${setIn})`,
					formatUsdc(capAtomic),
				)
			: undefined,
	);
}

/** Refuses any offer paying someone other than `payTo`. */
export function recipient(payTo: string): Control {
	return judge('recipient', (offer) =>
		sameAddress(offer.payTo, payTo)
			? undefined
			: new PolicyError(
					'recipient',
					offer,
					`the service wants the money sent to ${offer.payTo}, the expected recipient is ${payTo}`,
					payTo,
				),
	);
}

/** Refuses any offer paying an address outside the credential's Allowed Recipients. */
export function allowedRecipients(addresses: readonly string[]): Control {
	return judge('recipient', (offer) =>
		addresses.some((a) => sameAddress(a, offer.payTo))
			? undefined
			: new PolicyError(
					'recipient',
					offer,
					`the service wants the money sent to ${offer.payTo}, which is not among the credential's Allowed Recipients (${addresses.join(', ')})`,
					addresses.join(', '),
					{
						hint: "Only the credential's owner can add an address to Allowed Recipients (a workflow cannot). Check the URL, or use another service.",
					},
				),
	);
}

/**
 * Refuses to pay a request whose URL is outside a host list: the credential's Allowed Hosts for
 * Payments, or a node's own Allowed Hosts (which only narrow the credential's). With no list at
 * all (`rules` empty), nothing is paid: a tool pays only hosts someone listed.
 */
export function allowedHost(
	url: string,
	rules: readonly HostRule[],
	where = "the credential's Allowed Hosts for Payments",
): Control {
	let parsed: URL | undefined;
	try {
		parsed = new URL(url);
	} catch {
		parsed = undefined;
	}
	const allowed = parsed !== undefined && hostAllowed(parsed, [...rules]);
	const list = rules.map((r) => `${r.host}${r.port ? `:${r.port}` : ''}`).join(', ');
	return judge('host', (offer) =>
		allowed
			? undefined
			: new PolicyError(
					'host',
					offer,
					rules.length
						? `${redactUrl(url)} is not on ${where} (${list})`
						: `${redactUrl(url)} is on no list of hosts this node may pay: ${where}`,
					list || 'none',
					rules.length
						? {}
						: {
								hint: "Add the host to the node's Allowed Hosts option, or to the credential's Allowed Hosts for Payments.",
							},
				),
	);
}
