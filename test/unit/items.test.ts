/** isToolRun works on n8n 2.x contexts (isToolExecution) and on n8n 1.x ones, which lack the method. */
import type { IExecuteFunctions } from 'n8n-workflow';
import { isToolRun } from '../../nodes/shared/items';

it('asks n8n 2.x whether this is a tool run, and says no on n8n 1.x, which cannot tell', () => {
	expect(isToolRun({ isToolExecution: () => true } as unknown as IExecuteFunctions)).toBe(true);
	expect(isToolRun({ isToolExecution: () => false } as unknown as IExecuteFunctions)).toBe(false);
	expect(isToolRun({} as IExecuteFunctions)).toBe(false);
});
