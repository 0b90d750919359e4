import { describeSeededDefects } from './seeded-defect-cases';

// KHR/1 replicated brokers (the cases: seeded-defect-cases.ts).
describeSeededDefects(['khr1']);
