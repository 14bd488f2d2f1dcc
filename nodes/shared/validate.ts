/**
 * The parameter validators both nodes share: each names the field and says what to do,
 * through an InputError (nothing is sent for an invalid item).
 */

import type { INodeParameters } from 'n8n-workflow';
import { InputError } from './errors';

/**
 * Settings only the workflow's author sets: as an AI agent's tool, a parameter holding `$fromAI`
 * is filled by the model, so money and safety settings holding it are refused before anything is
 * sent (`settings`: parameter path → label).
 */
export function notFromModel(parameters: INodeParameters, settings: Record<string, string>): void {
	for (const [path, label] of Object.entries(settings)) {
		const value = path
			.split('.')
			.reduce<unknown>(
				(v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined),
				parameters,
			);
		if (typeof value === 'string' && /\$fromai\s*\(/i.test(value))
			throw new InputError(
				label,
				'may not be filled by an AI model ($fromAI)',
				`Set ${label} yourself: money and safety settings are never taken from a model. Remove $fromAI from it.`,
			);
	}
}

/** A whole-number option: its default when unset, else within bounds. */
export function wholeNumber(
	value: unknown,
	field: string,
	fallback: number,
	min: number,
	max: number,
): number {
	if (value === undefined || value === null || value === '') return fallback;
	const n = typeof value === 'string' ? Number(value.trim()) : value;
	if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
		throw new InputError(
			field,
			`must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`,
			`E.g. ${fallback}.`,
		);
	}
	return n;
}

/** A number within bounds (seconds, minutes). */
export function numberWithin(
	value: unknown,
	field: string,
	fallback: number,
	min: number,
	max: number,
): number {
	const n = value === undefined || value === null || value === '' ? fallback : Number(value);
	if (!Number.isFinite(n) || n < min || n > max)
		throw new InputError(
			field,
			`must be between ${min} and ${max}, got ${String(value)}`,
			`E.g. ${fallback}.`,
		);
	return n;
}

/** One of a fixed list of values (an options field, possibly set by an expression). */
export function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
	if (typeof value !== 'string' || !allowed.includes(value as T)) {
		throw new InputError(
			field,
			`${JSON.stringify(value)} is not allowed`,
			`Use one of: ${allowed.join(', ')}.`,
		);
	}
	return value as T;
}

/** A boolean field (an expression must return true or false). */
export function yesNo(value: unknown, field: string): boolean {
	if (typeof value !== 'boolean')
		throw new InputError(
			field,
			`must be true or false, got ${JSON.stringify(value)}`,
			'Use a boolean (or an expression that returns one).',
		);
	return value;
}

/** The name of a binary field the node writes to. */
export function binaryField(value: unknown, field = 'Binary Field'): string {
	const name = typeof value === 'string' ? value.trim() : 'data';
	if (!/^[\w.-]{1,100}$/.test(name))
		throw new InputError(
			field,
			`"${name.slice(0, 100)}" is not a valid field name`,
			'Use letters, digits, "_", "-" or ".", e.g. data.',
		);
	return name;
}
