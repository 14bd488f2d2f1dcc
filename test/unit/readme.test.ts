/**
 * Every in-page link of the README and the docs (`#anchor`, `README.md#anchor`) points at a heading
 * that exists, with GitHub's heading slugs: an edit that drops a heading cannot go unnoticed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '../..');
const files = [
	'README.md',
	...readdirSync(path.join(ROOT, 'docs'))
		.filter((f) => f.endsWith('.md'))
		.map((f) => `docs/${f}`),
];
const text = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

/** GitHub's slug: lower case, punctuation dropped (hyphens and underscores kept), spaces to hyphens. */
const slug = (heading: string) =>
	heading
		.trim()
		.toLowerCase()
		.replace(/[^\p{L}\p{N}\s_-]/gu, '')
		.replace(/\s/g, '-');

const anchorsOf = (file: string) =>
	new Set(
		text(file)
			.split('\n')
			.filter((line) => /^#{1,6} /.test(line))
			.map((line) => slug(line.replace(/^#+ /, ''))),
	);

const links = files.flatMap((file) =>
	[...text(file).matchAll(/\]\(([^)\s]*?)#([a-z0-9_-]+)\)/g)].map((m) => ({
		from: file,
		target: m[1] ? path.normalize(path.join(path.dirname(file), m[1])) : file,
		anchor: m[2],
	})),
);

it('finds the links it checks', () => {
	expect(links.length).toBeGreaterThan(10);
	expect(slug('Payments, caps and "was I charged?"')).toBe('payments-caps-and-was-i-charged');
});

it.each(links.map((l) => [`${l.from} → ${l.target}#${l.anchor}`, l]))(
	'%s exists',
	(_name, link) => {
		expect(anchorsOf(link.target).has(link.anchor)).toBe(true);
	},
);
