/**
 * URLs the nodes may send requests to, and how they are shown.
 *
 * Host rules (the Allowed Hosts option): `cdn.example.com` allows that host on any port,
 * `cdn.example.com:8443` only that port, `*.example.com` any subdomain on any port.
 * Only http(s); never a URL with a user name or password in it.
 */

import { HttpError, InputError } from './errors';

export interface HostRule {
	/** Lower-case host name (IPv6 in brackets), or `*.suffix`. */
	readonly host: string;
	/** Only this port, when the rule names one. */
	readonly port?: string;
}

const RULE = /^(\*\.)?(\[[0-9a-f:.]+\]|[a-z0-9_-]+(?:\.[a-z0-9_-]+)*)(?::(\d{1,5}))?$/;

/** Parses the Allowed Hosts option: a comma- or space-separated list. Throws naming the field. */
export function parseHostList(value: unknown, field = 'Allowed Hosts'): HostRule[] {
	if (value === undefined || value === null || value === '') return [];
	if (typeof value !== 'string')
		throw new InputError(
			field,
			'must be text: host names separated by commas',
			'E.g. cdn.example.com, *.fal.media, 127.0.0.1:8080.',
		);
	const rules: HostRule[] = [];
	for (const entry of value
		.split(/[,\s]+/)
		.map((h) => h.trim().toLowerCase())
		.filter(Boolean)) {
		const bare = entry.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
		if (entry.includes('@')) {
			throw new InputError(
				field,
				'an entry contains a user name or password (an "@")',
				'Write host names only, like cdn.example.com or 127.0.0.1:8080: no credentials.',
			);
		}
		const match = RULE.exec(bare);
		if (!match) {
			throw new InputError(
				field,
				`"${redactText(entry).slice(0, 100)}" is not a host name`,
				'Write host names like cdn.example.com, *.example.com or 127.0.0.1:8080, separated by commas.',
			);
		}
		rules.push({ host: `${match[1] ?? ''}${match[2]}`, ...(match[3] ? { port: match[3] } : {}) });
	}
	return rules;
}

/** The exact origin (host and port) of a URL the user set on the node, as a rule. */
export function originRule(url: string): HostRule | undefined {
	try {
		const parsed = new URL(url);
		return { host: parsed.hostname.toLowerCase(), port: effectivePort(parsed) };
	} catch {
		return undefined;
	}
}

function effectivePort(url: URL): string {
	return url.port || (url.protocol === 'https:' ? '443' : '80');
}

export function describeRule(rule: HostRule): string {
	return rule.port ? `${rule.host}:${rule.port}` : rule.host;
}

export function hostAllowed(url: URL, rules: HostRule[]): boolean {
	const host = url.hostname.toLowerCase();
	const port = effectivePort(url);
	return rules.some((rule) => {
		const hostMatches = rule.host.startsWith('*.')
			? host.endsWith(rule.host.slice(1))
			: host === rule.host;
		return hostMatches && (rule.port === undefined || rule.port === port);
	});
}

/**
 * Parses a URL the nodes will request: http(s) only, no user name or password.
 * Throws an input error naming the field; the message never repeats credentials.
 */
export function checkUrl(
	url: unknown,
	field: string,
	hint = 'Use the http(s) URL the service returned.',
): URL {
	const text = typeof url === 'string' ? url.trim() : '';
	const parsed = parseUrl(text);
	if (!parsed)
		throw new InputError(field, `"${redactText(text).slice(0, 200)}" is not a URL`, hint);
	if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
		throw new InputError(field, `only http(s) URLs are requested, not ${parsed.protocol}`, hint);
	}
	if (parsed.username || parsed.password) {
		throw new InputError(
			field,
			`the URL ${redactUrl(parsed)} contains a user name or password`,
			'Remove the credentials from the URL. They would be sent to the server and shown in outputs and logs.',
		);
	}
	return parsed;
}

/** checkUrl plus the allow-list: what Wait for Job may fetch. */
export function assertAllowedUrl(url: unknown, rules: HostRule[], field: string): URL {
	const parsed = checkUrl(url, field);
	if (!hostAllowed(parsed, rules)) {
		const suggestion = parsed.port ? `${parsed.hostname}:${parsed.port}` : parsed.hostname;
		throw new InputError(
			field,
			`host "${parsed.host}" is not allowed (allowed: ${rules.map(describeRule).join(', ') || 'none'})`,
			`If you trust it, add "${suggestion}" to the node's Allowed Hosts option.`,
		);
	}
	return parsed;
}

/** Where a redirect points, checked like any other URL of that request. */
export function redirectTarget(
	location: string | undefined,
	from: URL,
	rules: HostRule[] | undefined,
	status: number,
): URL {
	if (!location)
		throw new HttpError(
			`${redactUrl(from)} answered a redirect (HTTP ${status}) without a Location`,
			{ httpStatus: status },
		);
	const target = parseUrl(location, from);
	if (!target)
		throw new HttpError(
			`${redactUrl(from)} redirected (HTTP ${status}) to something that is not a URL`,
			{ httpStatus: status },
		);
	const shown = redactUrl(target);
	if (!rules) {
		throw new HttpError(
			`${redactUrl(from)} answered with a redirect (HTTP ${status}) to ${shown}; payment and chain requests never follow redirects`,
			{
				hint: 'Set the Endpoint URL to the final address of the service.',
				details: { redirectTo: shown },
				httpStatus: status,
			},
		);
	}
	if (
		(target.protocol !== 'http:' && target.protocol !== 'https:') ||
		target.username ||
		target.password ||
		!hostAllowed(target, rules)
	) {
		throw new HttpError(
			`${redactUrl(from)} redirected (HTTP ${status}) to ${shown}, which is not allowed (allowed: ${rules.map(describeRule).join(', ')})`,
			{
				hint: "If you trust that host, add it to the node's Allowed Hosts option.",
				details: { redirectTo: shown },
				httpStatus: status,
			},
		);
	}
	return target;
}

function parseUrl(text: string, base?: URL): URL | undefined {
	try {
		return new URL(text, base);
	} catch {
		return undefined;
	}
}

/**
 * A URL as it may be shown: without user name, password, query or fragment (they often carry
 * tokens).
 */
export function redactUrl(url: URL | string): string {
	const parsed = typeof url === 'string' ? parseUrl(url) : url;
	if (!parsed) return redactText(String(url)).slice(0, 200);
	const path = parsed.pathname.length > 120 ? `${parsed.pathname.slice(0, 120)}…` : parsed.pathname;
	return `${parsed.protocol}//${parsed.host}${path}${parsed.search ? '?…' : ''}`;
}

/** Only the host of a URL (an RPC URL often embeds an API key in its path or query). */
export function hostOf(url: string): string {
	try {
		return new URL(url).host;
	} catch {
		return 'the configured URL';
	}
}

/** Removes `user:pass@` from any URL-like text (for text that is not a parseable URL). */
export function redactText(text: string): string {
	return text.replace(/\/\/[^/\s@]*@/g, '//');
}

/**
 * Loopback and private addresses: a chain there is not Base's public chain (the sandbox, a fork),
 * which no public explorer shows.
 */
export function isLocalUrl(url: string): boolean {
	let host: string;
	try {
		host = new URL(url).hostname.toLowerCase();
	} catch {
		return false;
	}
	return (
		host === 'localhost' ||
		host.endsWith('.localhost') ||
		host === '[::1]' ||
		/^127\./.test(host) ||
		/^10\./.test(host) ||
		/^192\.168\./.test(host) ||
		/^172\.(1[6-9]|2\d|3[01])\./.test(host) ||
		/^\[f[cd]/.test(host)
	);
}
