// Helpers for tests of the snapshot library and of what builds on it.
export { generateRows, inBatches, seededRandom } from './generate-rows';
