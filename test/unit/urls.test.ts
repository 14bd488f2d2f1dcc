import {
	assertAllowedUrl,
	checkUrl,
	hostAllowed,
	parseHostList,
	redactText,
	redactUrl,
} from '../../nodes/shared/urls';

describe('Allowed Hosts rules', () => {
	const rules = parseHostList(
		'cdn.example.com, 127.0.0.1:8080 *.fal.media\nhttps://img.example.org/path [::1]:9000',
	);

	it('parses host, host:port, wildcards, pasted URLs and IPv6', () => {
		expect(rules).toEqual([
			{ host: 'cdn.example.com' },
			{ host: '127.0.0.1', port: '8080' },
			{ host: '*.fal.media' },
			{ host: 'img.example.org' },
			{ host: '[::1]', port: '9000' },
		]);
	});

	it.each([
		['https://cdn.example.com/a.png', true],
		['http://cdn.example.com:9999/a.png', true], // a bare host allows any port
		['http://127.0.0.1:8080/s', true],
		['http://127.0.0.1:8081/s', false], // host:port only that port
		['http://127.0.0.1/s', false],
		['https://v3.fal.media/x', true],
		['https://fal.media.evil.com/x', false],
		['https://evilfal.media/x', false],
		['http://[::1]:9000/x', true],
		['https://cdn.example.com.evil.com/a.png', false],
	])('%s allowed: %s', (url, allowed) => {
		expect(hostAllowed(new URL(url), rules)).toBe(allowed);
	});

	it('a rule with a default port matches the URL without one', () => {
		expect(
			hostAllowed(new URL('https://x402.dopamint.ai/a'), parseHostList('x402.dopamint.ai:443')),
		).toBe(true);
		expect(
			hostAllowed(new URL('http://x402.dopamint.ai/a'), parseHostList('x402.dopamint.ai:443')),
		).toBe(false);
	});

	it.each(['bad host!', 'user@host', 'a..b', 'host:99999999'])(
		'refuses %p naming the field',
		(value) => {
			expect(() => parseHostList(value)).toThrow(/^Allowed Hosts: /);
		},
	);
});

describe('URLs the nodes request', () => {
	it.each(['file:///etc/passwd', 'data:text/plain,hi', 'javascript:alert(1)', 'ftp://x/y'])(
		'refuses %s',
		(url) => {
			expect(() => checkUrl(url, 'Status URL')).toThrow(
				/^Status URL: only http\(s\) URLs are requested/,
			);
		},
	);

	it('refuses user:pass@ without repeating it', () => {
		let message = '';
		try {
			checkUrl('https://alice:hunter2@example.com/x', 'Endpoint URL');
		} catch (error) {
			message = (error as Error).message;
		}
		expect(message).toMatch(
			/^Endpoint URL: the URL https:\/\/example\.com\/x contains a user name or password/,
		);
		expect(message).not.toContain('hunter2');
		expect(message).not.toContain('alice');
	});

	it('says how to allow a refused host', () => {
		expect(() => assertAllowedUrl('http://10.0.0.1:81/x', [], 'image URL')).toThrow(
			/^image URL: host "10\.0\.0\.1:81" is not allowed \(allowed: none\)/,
		);
	});

	it('redacts credentials, query and fragment when showing a URL', () => {
		expect(redactUrl('https://u:p@cdn.example.com/a.png?token=abc#f')).toBe(
			'https://cdn.example.com/a.png?…',
		);
		expect(redactText('see http://u:p@x.com/a and https://y.com/b')).toBe(
			'see http://x.com/a and https://y.com/b',
		);
	});
});
