import { describeSeededDefects } from './seeded-defect-cases';

// 7/MDP and 8/MMI: the broker's, worker's and client's wire rules (the cases: seeded-defect-cases.ts).
describeSeededDefects(['rfc7', 'rfc8']);
