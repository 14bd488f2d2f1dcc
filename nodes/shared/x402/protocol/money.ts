/** USDC amounts: atomic units are bigint (6 decimals); people read and type decimal strings. */

const USDC_DECIMALS = 6;
const SCALE = 10n ** BigInt(USDC_DECIMALS);

/**
 * "0.0527" -> 52700n. Returns undefined for anything that is not a plain non-negative decimal with
 * at most 6 places.
 */
export function parseUsdc(value: string | number): bigint | undefined {
	const text = typeof value === 'number' ? numberToPlain(value) : value.trim();
	if (text === undefined) return undefined;
	const match = /^(\d+)(?:\.(\d{0,6}))?$/.exec(text);
	if (!match) return undefined;
	const whole = BigInt(match[1]);
	const fraction = BigInt((match[2] ?? '').padEnd(USDC_DECIMALS, '0'));
	return whole * SCALE + fraction;
}

/** 52700n -> "0.0527" (no trailing zeros, at least one decimal place). */
export function formatUsdc(atomic: bigint): string {
	const negative = atomic < 0n;
	const abs = negative ? -atomic : atomic;
	const whole = abs / SCALE;
	const fraction = (abs % SCALE).toString().padStart(USDC_DECIMALS, '0').replace(/0+$/, '');
	return `${negative ? '-' : ''}${whole}.${fraction || '0'}`;
}

/** Atomic amount as a quote writes it: a string of digits. */
export function parseAtomic(value: unknown): bigint | undefined {
	if (typeof value === 'string' && /^\d{1,40}$/.test(value)) return BigInt(value);
	if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
	return undefined;
}

function numberToPlain(value: number): string | undefined {
	if (!Number.isFinite(value) || value < 0) return undefined;
	// toFixed avoids exponent notation; round to the token's precision.
	return value.toFixed(USDC_DECIMALS);
}

/** Wei as ETH with at most 6 decimals ("0.0" for nothing). */
export function formatEth(wei: bigint): string {
	const whole = wei / 10n ** 18n;
	const fraction = ((wei % 10n ** 18n) / 10n ** 12n).toString().padStart(6, '0').replace(/0+$/, '');
	return `${whole}.${fraction || '0'}`;
}
