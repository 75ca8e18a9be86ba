// A binary min-heap: the scheduler's ready steps (workflows/run-tracker.ts) and the compiler's
// topological order (pipelines/graph.ts) take the first of many candidates again and again, which a
// sorted array makes quadratic on plans of tens of thousands of steps.
export class MinHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  push(x: T): void {
    const h = this.items;
    h.push(x);
    for (let c = h.length - 1; c > 0; ) {
      const p = (c - 1) >> 1;
      if (!this.before(h[c]!, h[p]!)) break;
      [h[p], h[c]] = [h[c]!, h[p]!];
      c = p;
    }
  }

  /** The first item by `before`, removed; undefined when empty. */
  pop(): T | undefined {
    const h = this.items;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      for (let p = 0; ; ) {
        const l = 2 * p + 1;
        const r = l + 1;
        let m = p;
        if (l < h.length && this.before(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.before(h[r]!, h[m]!)) m = r;
        if (m === p) break;
        [h[p], h[m]] = [h[m]!, h[p]!];
        p = m;
      }
    }
    return top;
  }
}
