/**
 * The real n8n app for the end-to-end and browser tests: installed once per version into a
 * cache outside the repository, started with a throwaway user folder, set up through its
 * REST API, and given this package through n8n's own community-package installer, fed by a
 * local npm registry (verdaccio) that serves the packed package.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const CACHE = path.join(
	process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'),
	'n8n-nodes-nano-banana',
);
export const ROOT = path.resolve(__dirname, '..', '..');
const ARCH = process.arch === 'arm64' ? 'arm64' : 'x64';
const VERDACCIO = '6.8.0';

export interface RunResult {
	code: number;
	stdout: string;
	stderr: string;
}

export function run(
	cmd: string,
	args: string[],
	options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
	return new Promise((resolve, reject) => {
		const child = spawn(cmd, args, { cwd: options.cwd ?? ROOT, env: options.env ?? process.env });
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
		child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
		child.on('error', reject);
		child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
	});
}

export async function must(
	cmd: string,
	args: string[],
	options: Parameters<typeof run>[2] = {},
): Promise<RunResult> {
	const result = await run(cmd, args, options);
	if (result.code !== 0)
		throw new Error(
			`${path.basename(cmd)} ${args.join(' ')} failed (${result.code}):\n${result.stderr.slice(-3000)}\n${result.stdout.slice(-2000)}`,
		);
	return result;
}

/** A Node.js to run n8n with: its binary and its installation root (for headers and PATH). */
export interface NodeRuntime {
	node: string;
	root: string;
	major: number;
}

/** This process's Node. */
export function thisNode(): NodeRuntime {
	return {
		node: process.execPath,
		root: path.resolve(path.dirname(process.execPath), '..'),
		major: Number(process.versions.node.split('.')[0]),
	};
}

/** Node 24: this process if it is Node 24, else the copy .ci/run caches (fetched from the npm registry if missing). */
export async function node24(say: (line: string) => void): Promise<NodeRuntime> {
	if (Number(process.versions.node.split('.')[0]) === 24) return thisNode();
	const dir = path.join(CACHE, `node24-linux-${ARCH}`);
	const root = path.join(dir, 'node_modules', `node-linux-${ARCH}`);
	if (!existsSync(path.join(root, 'bin', 'node'))) {
		say('fetching Node 24 from the npm registry');
		await must('npm', [
			'install',
			'--prefix',
			dir,
			'--no-save',
			'--no-audit',
			'--no-fund',
			'--ignore-scripts',
			`node-linux-${ARCH}@24`,
		]);
	}
	return { node: path.join(root, 'bin', 'node'), root, major: 24 };
}

/**
 * The machine's own Node of one of these majors (n8n 1.x runs on Node 20/22): this process
 * if it is one, else a `node` on PATH or in /usr/bin, /usr/local/bin (the npm registry's
 * Node 20 builds stop at 20.9, older than n8n 1.123 accepts).
 */
export async function machineNode(majors: number[]): Promise<NodeRuntime> {
	if (majors.includes(thisNode().major)) return thisNode();
	const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/usr/local/bin'];
	for (const dir of dirs) {
		const node = path.join(dir, 'node');
		if (!dir || !existsSync(node)) continue;
		const version = await run(node, ['-p', 'process.versions.node']).catch(() => undefined);
		const major = Number(version?.stdout.trim().split('.')[0]);
		if (version?.code === 0 && majors.includes(major))
			return { node, root: path.resolve(dir, '..'), major };
	}
	throw new Error(
		`no Node ${majors.join(' or ')} on this machine (looked on PATH, /usr/bin, /usr/local/bin)`,
	);
}

/** The node-gyp that ships with npm: the npm running this script (npm_execpath), else the machine's global npm. */
async function nodeGyp(): Promise<string> {
	const candidates: string[] = [];
	if (process.env.npm_execpath)
		candidates.push(
			path.resolve(
				path.dirname(process.env.npm_execpath),
				'..',
				'node_modules',
				'node-gyp',
				'bin',
				'node-gyp.js',
			),
		);
	const globalRoot = await run('npm', ['root', '-g']);
	if (globalRoot.code === 0)
		candidates.push(
			path.join(globalRoot.stdout.trim(), 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
		);
	const found = candidates.find((candidate) => existsSync(candidate));
	if (!found) throw new Error(`node-gyp not found (looked in ${candidates.join(', ')})`);
	return found;
}

/** Node headers for native builds: the runtime's own include/ when it has one (the registry's Node 24), else node-gyp's download cache is not reachable, so this Node's. */
function nodedir(runtime: NodeRuntime): string | undefined {
	return existsSync(path.join(runtime.root, 'include', 'node', 'node.h'))
		? runtime.root
		: undefined;
}

/** The environment that puts a runtime's node first on PATH. */
export function withNode(
	runtime: NodeRuntime,
	env: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
	return { ...env, PATH: `${path.join(runtime.root, 'bin')}${path.delimiter}${env.PATH}` };
}

/** n8n@version, installed once into the cache for this Node major (install scripts off, then sqlite3 built for it). */
export async function installN8n(
	version: string,
	runtime: NodeRuntime,
	say: (line: string) => void,
	overrides: Record<string, string> = {},
): Promise<string> {
	const dir = path.join(
		CACHE,
		runtime.major === 24 ? `n8n-${version}` : `n8n-${version}-node${runtime.major}`,
	);
	const marker = path.join(dir, '.ready');
	if (existsSync(marker)) return dir;
	say(
		`installing n8n@${version} for Node ${runtime.major} into ${dir} (first run only; a few minutes)`,
	);
	mkdirSync(dir, { recursive: true });
	writeFileSync(
		path.join(dir, 'package.json'),
		JSON.stringify({ name: 'n8n-e2e-host', private: true, overrides }),
	);
	const env = withNode(runtime);
	await must(
		'npm',
		['install', '--no-audit', '--no-fund', '--ignore-scripts', '--omit=dev', `n8n@${version}`],
		{ cwd: dir, env },
	);
	const sqlite = path.join(dir, 'node_modules', 'sqlite3');
	if (existsSync(sqlite)) {
		say(`building sqlite3 for Node ${runtime.major}`);
		const headers = nodedir(runtime);
		await must(runtime.node, [await nodeGyp(), 'rebuild', '--release'], {
			cwd: sqlite,
			env: headers ? { ...env, npm_config_nodedir: headers } : env,
		});
	}
	writeFileSync(marker, new Date().toISOString());
	return dir;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as net.AddressInfo;
			server.close(() => resolve(port));
		});
	});
}

async function waitFor(
	what: string,
	check: () => Promise<boolean>,
	timeoutMs: number,
	alive?: () => string | undefined,
): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		const dead = alive?.();
		if (dead) throw new Error(`${what}: ${dead}`);
		if (await check().catch(() => false)) return;
		await new Promise((r) => setTimeout(r, 300));
	}
	throw new Error(`${what}: not ready within ${Math.round(timeoutMs / 1000)} s`);
}

/** Environment every n8n process of the tests gets: quiet, offline, a throwaway user folder. */
export function n8nEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
	return {
		N8N_USER_FOLDER: home,
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_SECURE_COOKIE: 'false',
		N8N_RUNNERS_ENABLED: 'false',
		N8N_LOG_LEVEL: 'info',
		DB_SQLITE_POOL_SIZE: '1',
		...extra,
	};
}

export interface N8nProcess {
	url: string;
	child: ChildProcess;
	log(): string;
	stop(): Promise<void>;
}

/** Starts `n8n <command>` (start, worker, …) and waits until `ready` says it serves. */
export async function startN8n(
	n8nDir: string,
	runtime: NodeRuntime,
	env: NodeJS.ProcessEnv,
	options: {
		command?: string;
		args?: string[];
		port: number;
		portEnv?: string;
		readyPath?: string;
		timeoutMs?: number;
	},
): Promise<N8nProcess> {
	let log = '';
	const child = spawn(
		runtime.node,
		[
			path.join(n8nDir, 'node_modules', 'n8n', 'bin', 'n8n'),
			options.command ?? 'start',
			...(options.args ?? []),
		],
		{
			cwd: env.N8N_USER_FOLDER,
			// Every process gets its own task-broker port, so instances (and workers) can run side by side.
			env: withNode(runtime, {
				...process.env,
				N8N_RUNNERS_BROKER_PORT: String(await freePort()),
				...env,
				[options.portEnv ?? 'N8N_PORT']: String(options.port),
				N8N_LISTEN_ADDRESS: '127.0.0.1',
			}),
		},
	);
	child.stdout?.on('data', (c: Buffer) => (log += c.toString()));
	child.stderr?.on('data', (c: Buffer) => (log += c.toString()));
	let exited: string | undefined;
	child.on(
		'exit',
		(code, signal) =>
			(exited = `exited (${code ?? signal}) before it was ready:\n${log.slice(-3000)}`),
	);
	const url = `http://127.0.0.1:${options.port}`;
	// Ready when it answers JSON: while starting, n8n 1.x answers every route 200 "n8n is starting up".
	const ready = async () => {
		const response = await fetch(`${url}${options.readyPath ?? '/rest/settings'}`);
		const text = await response.text();
		return response.ok && typeof JSON.parse(text) === 'object';
	};
	await waitFor(
		`n8n ${options.command ?? 'start'}`,
		ready,
		options.timeoutMs ?? 120_000,
		() => exited,
	);
	return {
		url,
		child,
		log: () => log,
		async stop() {
			if (child.exitCode !== null || child.signalCode) return;
			const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
			child.kill('SIGTERM');
			const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
			await gone;
			clearTimeout(timer);
		},
	};
}

/** A logged-in REST session against a running n8n main process. */
export class N8nRest {
	private cookie = '';
	constructor(readonly url: string) {}

	async call<T = unknown>(
		method: string,
		route: string,
		body?: unknown,
	): Promise<{ status: number; data: T; text: string }> {
		const response = await fetch(`${this.url}${route}`, {
			method,
			headers: {
				'content-type': 'application/json',
				...(this.cookie ? { cookie: this.cookie } : {}),
				'browser-id': 'n8n-nodes-nano-banana-tests',
			},
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const setCookie = response.headers.get('set-cookie');
		if (setCookie) this.cookie = setCookie.split(';')[0];
		const text = await response.text();
		let data: unknown;
		try {
			data = (JSON.parse(text) as { data?: unknown }).data ?? JSON.parse(text);
		} catch {
			data = undefined;
		}
		return { status: response.status, data: data as T, text };
	}

	/** The session cookie, for requests made outside this class (binary data). */
	cookieHeader(): string {
		return this.cookie;
	}

	async must<T = unknown>(method: string, route: string, body?: unknown): Promise<T> {
		const result = await this.call<T>(method, route, body);
		if (result.status >= 300)
			throw new Error(
				`${method} ${route} answered ${result.status}: ${result.text.slice(0, 1000)}`,
			);
		return result.data;
	}

	/**
	 * Creates a workflow and activates it; its id. n8n 2.x activates with POST …/activate, n8n 1.x
	 * by an update with active: true.
	 */
	async activate(workflow: object): Promise<string> {
		const created = await this.must<{ id: string; versionId: string }>('POST', '/rest/workflows', {
			...workflow,
			active: false,
		});
		const activated = await this.call('POST', `/rest/workflows/${created.id}/activate`, {
			versionId: created.versionId,
		});
		if (activated.status >= 300)
			await this.must('PATCH', `/rest/workflows/${created.id}`, {
				active: true,
				versionId: created.versionId,
			});
		return created.id;
	}

	/** Creates a credential; its id. */
	async credential(name: string, type: string, data: Record<string, unknown>): Promise<string> {
		return (await this.must<{ id: string }>('POST', '/rest/credentials', { name, type, data })).id;
	}

	/** The owner account, as the setup screen creates it. */
	async setupOwner(owner = OWNER): Promise<void> {
		await this.must('POST', '/rest/owner/setup', owner);
	}

	async login(owner = OWNER): Promise<void> {
		const first = await this.call('POST', '/rest/login', {
			emailOrLdapLoginId: owner.email,
			password: owner.password,
		});
		if (first.status >= 300)
			await this.must('POST', '/rest/login', { email: owner.email, password: owner.password });
	}
}

/** The throwaway owner of a test instance (a new password every run; n8n wants 8+ characters, a digit and a capital). */
export const OWNER = {
	email: 'owner@example.com',
	firstName: 'Ada',
	lastName: 'Banana',
	password: `Sandbox-${randomBytes(6).toString('hex')}-1A`,
};

/** n8n's own license switch for its E2E tests (E2E_TESTS=true): a custom npm registry is a licensed feature otherwise. */
export async function allowCustomRegistry(rest: N8nRest): Promise<void> {
	await rest.must('PATCH', '/rest/e2e/feature', {
		feature: 'feat:communityNodes:customRegistry',
		enabled: true,
	});
}

export interface InstalledPackage {
	packageName: string;
	installedVersion: string;
	installedNodes: Array<{ name: string; type: string }>;
}

/** Settings → Community nodes → Install, through the REST call the UI makes. */
export async function installThroughN8n(rest: N8nRest, name: string): Promise<InstalledPackage> {
	return await rest.must<InstalledPackage>('POST', '/rest/community-packages', { name });
}

export async function installedPackages(rest: N8nRest): Promise<InstalledPackage[]> {
	return await rest.must<InstalledPackage[]>('GET', '/rest/community-packages');
}

export interface Registry {
	url: string;
	close(): Promise<void>;
}

/**
 * A local npm registry (verdaccio, installed once into the cache) serving this package, packed
 * from the current build. Nothing else is proxied: the package has no dependencies to fetch.
 */
export async function startRegistry(say: (line: string) => void): Promise<Registry> {
	const dir = path.join(CACHE, `verdaccio-${VERDACCIO}`);
	const bin = path.join(dir, 'node_modules', 'verdaccio', 'bin', 'verdaccio');
	if (!existsSync(path.join(dir, '.ready'))) {
		say(`installing verdaccio@${VERDACCIO} into ${dir} (first run only)`);
		mkdirSync(dir, { recursive: true });
		// verdaccio 6.8 (6.9+ wants Node 22) installs here with node-fetch held at 2.7.0.
		writeFileSync(
			path.join(dir, 'package.json'),
			JSON.stringify({
				name: 'registry-host',
				private: true,
				overrides: { 'node-fetch': '2.7.0' },
			}),
		);
		await must(
			'npm',
			['install', '--no-audit', '--no-fund', '--ignore-scripts', `verdaccio@${VERDACCIO}`],
			{ cwd: dir },
		);
		writeFileSync(path.join(dir, '.ready'), new Date().toISOString());
	}
	const work = mkdtempSync(path.join(os.tmpdir(), 'registry-'));
	writeFileSync(
		path.join(work, 'config.yaml'),
		[
			'storage: ./storage',
			'uplinks: {}',
			'packages:',
			"  '**':",
			'    access: $all',
			'    publish: $all',
			'logs: { type: stdout, format: pretty, level: warn }',
			'',
		].join('\n'),
	);
	const port = await freePort();
	const url = `http://127.0.0.1:${port}`;
	let log = '';
	const child = spawn(
		process.execPath,
		[bin, '--config', path.join(work, 'config.yaml'), '--listen', `127.0.0.1:${port}`],
		{ cwd: work },
	);
	child.stdout.on('data', (c: Buffer) => (log += c.toString()));
	child.stderr.on('data', (c: Buffer) => (log += c.toString()));
	let exited: string | undefined;
	child.on('exit', (code) => (exited = `verdaccio exited (${code}): ${log.slice(-2000)}`));
	await waitFor(
		'verdaccio',
		async () => (await fetch(`${url}/-/ping`)).ok,
		30_000,
		() => exited,
	);
	// The package as npm publishes it: `npm pack` of the current build, then published as is.
	const packed = JSON.parse(
		(await must('npm', ['pack', '--json', '--pack-destination', work])).stdout,
	)[0].filename as string;
	await must('npm', [
		'publish',
		path.join(work, packed),
		'--registry',
		url,
		`--//127.0.0.1:${port}/:_authToken=local-test`,
		'--tag',
		'latest',
	]);
	return {
		url,
		async close() {
			const gone = new Promise<void>((resolve) =>
				child.exitCode !== null ? resolve() : child.once('exit', () => resolve()),
			);
			child.kill('SIGTERM');
			await gone;
			rmSync(work, { recursive: true, force: true });
		},
	};
}

/** A throwaway n8n user folder. */
export function tempHome(prefix: string): string {
	return mkdtempSync(path.join(os.tmpdir(), prefix));
}
