/** Objects the page addresses by handle id ('model:3'), with readable errors for unknown ids. */
export class Registry<Id extends string, T> {
  private readonly items = new Map<Id, T>();
  private next = 1;

  constructor(
    private readonly kind: string,
    /** How to get a new one, for error messages ("create it with createModel()"). */
    private readonly howToCreate: string,
  ) {}

  add(make: (id: Id) => T): T {
    const id = `${this.kind}:${this.next++}` as Id;
    const item = make(id);
    this.items.set(id, item);
    return item;
  }

  get(id: Id): T {
    const item = this.items.get(id);
    if (item === undefined) {
      const known = [...this.items.keys()];
      throw new Error(
        `No ${this.kind} "${String(id)}" in this worker (known: ${known.join(', ') || 'none'}). ` +
          `It was disposed, the worker restarted, or the id is wrong; ${this.howToCreate}.`,
      );
    }
    return item;
  }

  has(id: Id): boolean {
    return this.items.has(id);
  }

  delete(id: Id): void {
    this.items.delete(id);
  }

  values(): IterableIterator<T> {
    return this.items.values();
  }
}
