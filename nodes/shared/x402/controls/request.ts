/**
 * The controls of one request, in the order they are asked: the hosts a paid request may go to,
 * the node's cap, what the credential sets (only its owner can widen it), the pinned recipient,
 * then what holds money for the run (budget, balance, daily limit). A node's own settings only
 * narrow the credential's.
 */

import type { PaidRequest } from '../request';
import type { Wallet } from '../wallet/credential';
import type { Control } from './control';
import { allowedHost, priceCap, recipient } from './price';

export function requestControls(
	wallet: Wallet,
	request: PaidRequest,
	credential: Control[],
	run: Control[],
): Control[] {
	const limits = request.limits ?? {};
	const hosts = wallet.allowedPayHosts;
	const unlisted = limits.listedHostsOnly && !hosts && !limits.hosts;
	return [
		...(hosts ? [allowedHost(request.url, hosts)] : []),
		...(limits.hosts ? [allowedHost(request.url, limits.hosts, "the node's Allowed Hosts")] : []),
		...(unlisted ? [allowedHost(request.url, [], 'as an AI tool it pays only listed hosts')] : []),
		...(limits.maxAtomic !== undefined
			? [priceCap(limits.maxAtomic, limits.maxLabel ?? 'Max Price per Image')]
			: []),
		...credential,
		...(limits.payTo ? [recipient(limits.payTo)] : []),
		...run,
	];
}
