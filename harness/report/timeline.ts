/**
 * The timeline picture of a history; its parts are in ./timeline/ (one concept per file). This file
 * keeps the import path callers use, and means a build over an older dist/ cannot leave a stale
 * timeline.js shadowing the folder.
 */
export { renderTimeline, type TimelineAnomaly, type TimelineOptions } from './timeline/index';
