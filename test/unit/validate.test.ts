/** The shared parameter validators: each names the field and says what to do. */
import { InputError } from '../../nodes/shared/errors';
import {
	binaryField,
	notFromModel,
	numberWithin,
	oneOf,
	wholeNumber,
	yesNo,
} from '../../nodes/shared/validate';

const fails = (fn: () => unknown, message: RegExp) => {
	let error: unknown;
	try {
		fn();
	} catch (e) {
		error = e;
	}
	expect(error).toBeInstanceOf(InputError);
	expect((error as InputError).message).toMatch(message);
};

it('reads whole numbers within bounds, with a default when unset', () => {
	expect(wholeNumber(undefined, 'Concurrency', 10, 1, 50)).toBe(10);
	expect(wholeNumber(' 7 ', 'Concurrency', 10, 1, 50)).toBe(7);
	fails(
		() => wholeNumber(2.5, 'Concurrency', 10, 1, 50),
		/^Concurrency: must be a whole number from 1 to 50, got 2\.5$/,
	);
	fails(() => wholeNumber(51, 'Concurrency', 10, 1, 50), /^Concurrency: /);
});

it('reads numbers within bounds', () => {
	expect(numberWithin(0.5, 'Poll Interval (Seconds)', 1, 0.2, 600)).toBe(0.5);
	expect(numberWithin(undefined, 'Poll Interval (Seconds)', 1, 0.2, 600)).toBe(1);
	fails(
		() => numberWithin('x', 'Poll Interval (Seconds)', 1, 0.2, 600),
		/^Poll Interval \(Seconds\): must be between 0\.2 and 600, got x$/,
	);
});

it('reads one of a list, a boolean and a binary field name', () => {
	expect(oneOf('fail', 'On Timeout', ['fail', 'output'])).toBe('fail');
	fails(
		() => oneOf('maybe', 'On Timeout', ['fail', 'output']),
		/^On Timeout: "maybe" is not allowed$/,
	);
	expect(yesNo(false, 'Sync Mode')).toBe(false);
	fails(() => yesNo('true', 'Sync Mode'), /^Sync Mode: must be true or false/);
	expect(binaryField(' data_1 ')).toBe('data_1');
	expect(binaryField(undefined)).toBe('data');
	fails(() => binaryField('a b'), /^Binary Field: "a b" is not a valid field name$/);
});

it('refuses settings a model would fill ($fromAI in any spelling), and leaves the others', () => {
	const settings = {
		'options.maxPriceUsdc': 'Max Price per Image (USDC)',
		'options.dryRun': 'Dry Run',
	};
	fails(
		() => notFromModel({ options: { maxPriceUsdc: "={{ $fromAI('price') }}" } }, settings),
		/^Max Price per Image \(USDC\): may not be filled by an AI model/,
	);
	fails(
		() => notFromModel({ options: { dryRun: '={{ $fromai ("dry") }}' } }, settings),
		/^Dry Run: may not be filled by an AI model/,
	);
	expect(() =>
		notFromModel(
			{
				prompt: "={{ $fromAI('prompt') }}",
				options: { maxPriceUsdc: 0.06, dryRun: '={{ $json.dry }}' },
			},
			settings,
		),
	).not.toThrow();
	expect(() => notFromModel({}, settings)).not.toThrow();
});
