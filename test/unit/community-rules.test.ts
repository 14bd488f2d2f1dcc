/**
 * The package against n8n's community-node lint rules that are in n8n's repository but not yet in
 * the released @n8n/eslint-plugin-community-nodes (packages/@n8n/eslint-plugin-community-nodes/
 * docs/rules/): so the next scanner release finds nothing. Each check is the rule's documented
 * condition, applied to this package's nodes and credential.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ICredentialType, INodeProperties, INodeType } from 'n8n-workflow';
import { X402WalletApi } from '../../credentials/X402WalletApi.credentials';
import { NanoBananaGenerate } from '../../nodes/NanoBananaGenerate/NanoBananaGenerate.node';
import { WaitForJob } from '../../nodes/WaitForJob/WaitForJob.node';
import { X402Request } from '../../nodes/X402Request/X402Request.node';
import { X402Wallet } from '../../nodes/X402Wallet/X402Wallet.node';

const ROOT = path.join(__dirname, '../..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
	license: string;
	n8n: { nodes: string[]; credentials: string[] };
};
const NODES: Array<{ file: string; node: INodeType }> = [
	{ file: 'nodes/NanoBananaGenerate/NanoBananaGenerate.node.ts', node: new NanoBananaGenerate() },
	{ file: 'nodes/WaitForJob/WaitForJob.node.ts', node: new WaitForJob() },
	{ file: 'nodes/X402Wallet/X402Wallet.node.ts', node: new X402Wallet() },
	{ file: 'nodes/X402Request/X402Request.node.ts', node: new X402Request() },
];
const CREDENTIAL: { file: string; credential: ICredentialType } = {
	file: 'credentials/X402WalletApi.credentials.ts',
	credential: new X402WalletApi(),
};

/** Every options / multiOptions parameter, in collections too. */
function optionLists(properties: INodeProperties[], where: string): Array<[string, string[]]> {
	return properties.flatMap((p) => {
		const here = `${where}.${p.name}`;
		if (p.type === 'options' || p.type === 'multiOptions')
			return [[here, (p.options ?? []).map((o) => String((o as { name: string }).name))]];
		if (p.type === 'collection') return optionLists((p.options ?? []) as INodeProperties[], here);
		if (p.type === 'fixedCollection')
			return (p.options ?? []).flatMap((o) =>
				optionLists(
					((o as { values?: INodeProperties[] }).values ?? []) as INodeProperties[],
					here,
				),
			);
		return [];
	});
}

it('options-sorted-alphabetically: every options list is sorted by name (case-insensitive, locale-aware)', () => {
	const lists = [
		...NODES.flatMap(({ node }) => optionLists(node.description.properties, node.description.name)),
		...optionLists(CREDENTIAL.credential.properties, CREDENTIAL.credential.name),
	];
	expect(lists.length).toBeGreaterThan(5);
	for (const [where, names] of lists) {
		const sorted = [...names].sort((a, b) =>
			a.localeCompare(b, undefined, { sensitivity: 'base' }),
		);
		expect({ where, names }).toEqual({ where, names: sorted });
	}
});

it('require-continue-on-fail: every execute() reads this.continueOnFail()', () => {
	for (const { file } of NODES) {
		const source = readFileSync(path.join(ROOT, file), 'utf8');
		const execute = source.slice(source.indexOf('async execute(this: IExecuteFunctions)'));
		expect({ file, reads: /this\.continueOnFail\(\)/.test(execute) }).toEqual({
			file,
			reads: true,
		});
	}
});

it('node-filename-against-convention and one credential per node', () => {
	for (const { file, node } of NODES) {
		const { name, credentials } = node.description;
		expect(path.basename(file)).toBe(`${name[0].toUpperCase()}${name.slice(1)}.node.ts`);
		expect(pkg.n8n.nodes).toContain(`dist/${file.replace(/\.ts$/, '.js')}`);
		expect((credentials ?? []).length).toBeLessThanOrEqual(1);
	}
});

it('credential naming: class and file end in Api, the name field is camelCase and ends in Api', () => {
	const { name } = CREDENTIAL.credential;
	expect(name).toMatch(/^[a-z][A-Za-z0-9]*Api$/);
	expect(X402WalletApi.name).toMatch(/Api$/);
	expect(path.basename(CREDENTIAL.file)).toBe(`${X402WalletApi.name}.credentials.ts`);
	expect(pkg.n8n.credentials).toEqual([`dist/${CREDENTIAL.file.replace(/\.ts$/, '.js')}`]);
});

it('require-mit-license: MIT in package.json and the LICENSE file', () => {
	expect(pkg.license).toBe('MIT');
	expect(readFileSync(path.join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
});

it('no-hardcoded-ids: no partner, affiliate, account, tenant, customer or client id written into a node', () => {
	for (const { file } of NODES) {
		const source = readFileSync(path.join(ROOT, file), 'utf8');
		expect({
			file,
			found: source.match(
				/\b(partner|affiliate|reseller|account|tenant|customer|client)_?id\b\s*[:=]\s*['"`]/gi,
			),
		}).toEqual({ file, found: null });
	}
});
