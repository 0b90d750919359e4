import { PassThroughStage, type ToxicKind } from './toxic';

/** noop: passes data through untouched (useful to check that toxics reach a connection). */
export const noopToxic: ToxicKind = {
  type: 'noop',
  goStruct: 'NoopToxic',
  attributes: [],
  createStage: (_attributes, out) => new PassThroughStage(out),
};
