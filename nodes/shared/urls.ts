import { inputError } from './errors';
import { DOPAMINT_HOST } from './dopamint';

/**
 * Which hosts Wait for Job may fetch: exact host names, or `*.example.com`
 * for any subdomain. Only http(s).
 */
export type HostRule = string;

export function parseHostList(value: unknown): HostRule[] {
	if (typeof value !== 'string') return [];
	return value
		.split(/[,\s]+/)
		.map((h) => h.trim().toLowerCase())
		.filter(Boolean)
		.map((h) => h.replace(/^https?:\/\//, '').replace(/\/.*$/, ''));
}

/** The default allow list: Dopamint, plus the endpoint host the Generate node recorded. */
export function defaultHosts(endpoint: unknown): HostRule[] {
	const hosts = [DOPAMINT_HOST];
	if (typeof endpoint === 'string') {
		try {
			hosts.push(new URL(endpoint).host.toLowerCase());
		} catch {
			// Not a URL: nothing to add.
		}
	}
	return hosts;
}

export function hostAllowed(host: string, rules: HostRule[]): boolean {
	const h = host.toLowerCase();
	return rules.some((rule) => (rule.startsWith('*.') ? h.endsWith(rule.slice(1)) : h === rule));
}

export function assertAllowedUrl(url: string, rules: HostRule[], field: string): void {
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		throw inputError(field, `"${url.slice(0, 200)}" is not a URL`, 'Map the statusUrl field of the Nano-Banana Generate output.');
	}
	if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
		throw inputError(field, `only http(s) URLs are fetched, not ${parsed.protocol}`, 'Use the http(s) URL the service returned.');
	}
	if (!hostAllowed(parsed.host, rules)) {
		throw inputError(
			field,
			`host "${parsed.host}" is not allowed (allowed: ${rules.join(', ')})`,
			`If you trust it, add "${parsed.host}" (or "*.${parsed.hostname.split('.').slice(-2).join('.')}") to the node's Allowed Hosts option.`,
		);
	}
}
