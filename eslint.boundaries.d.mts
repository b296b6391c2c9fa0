// Types for eslint.boundaries.mjs, which test/unit/lint-boundaries.test.ts imports.
import type { Linter } from 'eslint';

export declare const boundaryConfigs: Linter.Config[];
