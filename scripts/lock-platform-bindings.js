#!/usr/bin/env node
/**
 * Run after `npm install` changes package-lock.json.
 *
 * The npm registry reachable here does not serve every platform build of
 * `unrs-resolver` (pulled in by @n8n/node-cli's eslint config). `npm install`
 * then leaves those optional packages out of the lock, and `npm ci` refuses the
 * lock as "out of sync". This adds the missing entries with their os/cpu/libc
 * (read from the package names), so `npm ci` skips them on other platforms
 * exactly as it would with a complete lock.
 */
const fs = require('fs');

const lockPath = 'package-lock.json';
const lock = JSON.parse(fs.readFileSync(lockPath, 'utf8'));
const resolverKey = Object.keys(lock.packages).find((k) =>
	k.endsWith('node_modules/unrs-resolver'),
);
if (!resolverKey) process.exit(0);
const resolver = lock.packages[resolverKey];
let added = 0;
for (const [name, version] of Object.entries(resolver.optionalDependencies ?? {})) {
	const key = `node_modules/${name}`;
	if (lock.packages[key]) continue;
	const match = /resolver-binding-([a-z0-9]+)-([a-z0-9]+)(?:-([a-z]+))?$/.exec(name);
	if (!match || match[1] === 'wasm32') continue;
	const [, os, cpu, abi] = match;
	const entry = { version, cpu: [cpu], dev: true, license: 'MIT', optional: true, os: [os] };
	if (abi === 'gnu' || abi === 'gnueabihf') entry.libc = ['glibc'];
	if (abi === 'musl' || abi === 'musleabihf') entry.libc = ['musl'];
	lock.packages[key] = entry;
	added++;
}
const sorted = {};
for (const key of Object.keys(lock.packages).sort((a, b) =>
	a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0,
))
	sorted[key] = lock.packages[key];
lock.packages = sorted;
fs.writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
process.stdout.write(`lock: added ${added} platform entries\n`);
