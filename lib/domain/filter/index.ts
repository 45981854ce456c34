export * from './webhook-filter';
export { filterProblem, validateFilter, type FilterProblem } from './filter-validation';
export { matchesFilter } from './filter-evaluation';
