/** The controls area: everything that can refuse a payment, in one shape (control.ts). */

export { Balance } from './balance';
export { Budget } from './budget';
export {
	NO_HOLD,
	POLICY_RULES,
	PolicyError,
	type Control,
	type Hold,
	type PolicyRule,
	type SignedFacts,
} from './control';
export { DailyLimit, forgetInFlight, type LimitFacts } from './dailyLimit';
export { Controls, unpayable, type Choice, type Holds, type Verdict } from './offers';
export { allowedHost, allowedRecipients, priceCap, recipient } from './price';
