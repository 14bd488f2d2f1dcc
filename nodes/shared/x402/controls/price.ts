/**
 * The controls that judge an offer alone: the credential's Max Payment per Request, the node's
 * own cap (Max Price), and the pinned recipient (Expected Recipient).
 */

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
