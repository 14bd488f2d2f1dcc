/**
 * Redis and PostgreSQL for n8n's queue mode, from Debian's packages (installed with apt-get
 * when missing, as root), each started on 127.0.0.1 with a throwaway data directory and
 * stopped at the end. Development only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, must, run } from './host';

const isRoot = () => process.getuid?.() === 0;

/** Installs Debian packages whose commands are missing (apt-get, as root). */
export async function ensureDebian(
	packages: Array<{ name: string; present: () => boolean }>,
	say: (line: string) => void,
): Promise<void> {
	const missing = packages.filter((p) => !p.present()).map((p) => p.name);
	if (!missing.length) return;
	if (!isRoot())
		throw new Error(`missing Debian packages: ${missing.join(', ')} (install them with apt-get)`);
	say(`installing Debian packages ${missing.join(', ')} (first run only)`);
	await must('apt-get', ['update', '-qq']);
	await must('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
		env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
	});
}

export function postgresBin(): string | undefined {
	const root = '/usr/lib/postgresql';
	if (!existsSync(root)) return undefined;
	const versions = readdirSync(root)
		.filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')))
		.sort((a, b) => Number(b) - Number(a));
	return versions.length ? path.join(root, versions[0], 'bin') : undefined;
}

export interface Service {
	port: number;
	stop(): Promise<void>;
}

function waitPort(
	port: number,
	child: ChildProcess,
	log: () => string,
	what: string,
	timeoutMs = 30_000,
): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	return new Promise((resolve, reject) => {
		const attempt = () => {
			if (child.exitCode !== null)
				return reject(new Error(`${what} exited (${child.exitCode}): ${log().slice(-2000)}`));
			const socket = net.connect(port, '127.0.0.1');
			socket.once('connect', () => {
				socket.destroy();
				resolve();
			});
			socket.once('error', () => {
				socket.destroy();
				if (Date.now() > deadline)
					reject(new Error(`${what} did not listen on ${port}: ${log().slice(-2000)}`));
				else setTimeout(attempt, 200);
			});
		};
		attempt();
	});
}

function stopper(child: ChildProcess, cleanup: () => void): () => Promise<void> {
	return async () => {
		if (child.exitCode === null) {
			const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
			child.kill('SIGTERM');
			const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
			await gone;
			clearTimeout(timer);
		}
		cleanup();
	};
}

/** redis-server on 127.0.0.1, no persistence. */
export async function startRedis(): Promise<Service> {
	const port = await freePort();
	const dir = mkdtempSync(path.join(os.tmpdir(), 'redis-'));
	let log = '';
	const child = spawn('redis-server', [
		'--port',
		String(port),
		'--bind',
		'127.0.0.1',
		'--save',
		'',
		'--appendonly',
		'no',
		'--dir',
		dir,
	]);
	child.stdout.on('data', (c: Buffer) => (log += c.toString()));
	child.stderr.on('data', (c: Buffer) => (log += c.toString()));
	await waitPort(port, child, () => log, 'redis-server');
	return { port, stop: stopper(child, () => rmSync(dir, { recursive: true, force: true })) };
}

/**
 * PostgreSQL on 127.0.0.1 with a fresh cluster (trust authentication, user "postgres",
 * fsync off: throwaway data). PostgreSQL refuses to run as root, so as root it runs as the
 * "postgres" system user the Debian package creates.
 */
export async function startPostgres(): Promise<Service & { user: string; database: string }> {
	const bin = postgresBin();
	if (!bin) throw new Error('PostgreSQL is not installed (Debian package postgresql)');
	const port = await freePort();
	const dir = mkdtempSync(path.join(os.tmpdir(), 'pg-'));
	const as = async (cmd: string, args: string[]) =>
		isRoot()
			? await must('runuser', ['-u', 'postgres', '--', cmd, ...args])
			: await must(cmd, args);
	if (isRoot()) {
		const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
		const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
		chownSync(dir, uid, gid);
	}
	await as(path.join(bin, 'initdb'), [
		'-D',
		path.join(dir, 'data'),
		'-A',
		'trust',
		'-U',
		'postgres',
		'--no-sync',
		'-E',
		'UTF8',
	]);
	const args = [
		'-D',
		path.join(dir, 'data'),
		'-p',
		String(port),
		'-k',
		dir,
		'-c',
		'listen_addresses=127.0.0.1',
		'-c',
		'fsync=off',
		'-c',
		'max_connections=200',
	];
	const child = isRoot()
		? spawn('runuser', ['-u', 'postgres', '--', path.join(bin, 'postgres'), ...args])
		: spawn(path.join(bin, 'postgres'), args);
	let log = '';
	child.stdout.on('data', (c: Buffer) => (log += c.toString()));
	child.stderr.on('data', (c: Buffer) => (log += c.toString()));
	await waitPort(port, child, () => log, 'postgres');
	return {
		port,
		user: 'postgres',
		database: 'postgres',
		stop: stopper(child, () => rmSync(dir, { recursive: true, force: true })),
	};
}
