// Lookups by user-chosen names must not find Object.prototype members: a step called
// `constructor` or a param called `toString` is just an unknown name, not a function.

export function own<T>(record: { [key: string]: T }, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
