import type { ToolDef } from '../types.js';
import { composeDown } from './down.js';
import { composePs } from './ps.js';
import { composeUp } from './up.js';

/** Compose files run on the REST API: up, down, ps. */
export const composeTools: ToolDef[] = [composeUp, composeDown, composePs];
