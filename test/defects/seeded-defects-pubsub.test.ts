import { describeSeededDefects } from './seeded-defect-cases';

// KHP/1 reliable pub/sub (the cases: seeded-defect-cases.ts).
describeSeededDefects(['khp1']);
