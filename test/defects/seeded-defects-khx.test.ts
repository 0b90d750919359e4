import { describeSeededDefects } from './seeded-defect-cases';

// KHX/1 exactly-once and KHC/1 control (the cases: seeded-defect-cases.ts).
describeSeededDefects(['khx1', 'khc1']);
