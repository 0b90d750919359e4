/**
 * A finding of a scripted peer of the harness (stand-in proxy, raw publisher or subscriber): the
 * clause broken, in brackets first, so the verdict names it (harness/report/broken-clauses.ts).
 */
export class ClauseBroken extends Error {
  constructor(
    readonly clause: string,
    detail: string,
  ) {
    super(`[${clause}] ${detail}`);
    this.name = 'ClauseBroken';
  }
}
