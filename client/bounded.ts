/**
 * Size-bounded maps and sets that forget their oldest entries, for state
 * that an untrusted peer or relay could otherwise make grow.
 *
 * @module
 */

/**
 * A `Map` that keeps at most `max` entries: setting a key makes it the
 * newest, and the oldest entries beyond `max` are deleted.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { BoundedMap } from "./bounded.ts";
 * const map = new BoundedMap<string, number>({ max: 2 });
 * map.set("a", 1).set("b", 2).set("c", 3);
 * assertEquals([...map.keys()], [ "b", "c" ]);
 * ```
 */
export class BoundedMap<K, V> extends Map<K, V> {
  /** Most entries kept. */
  readonly max: number;

  /** Creates an empty map that keeps at most `options.max` entries. */
  constructor(options: { max: number }) {
    super();
    this.max = options.max;
  }

  /** Sets `key` as the newest entry and forgets the oldest beyond `max`. */
  override set(key: K, value: V): this {
    // Deleting first moves a re-set key to the newest place.
    super.delete(key);
    super.set(key, value);
    for (const oldest of super.keys()) {
      if (this.size <= this.max) break;
      super.delete(oldest);
    }
    return this;
  }
}

/**
 * A `Set` that keeps at most `max` members: adding makes a member the
 * newest, and the oldest members beyond `max` are deleted.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { BoundedSet } from "./bounded.ts";
 * const seen = new BoundedSet<string>({ max: 1 });
 * seen.add("m-1").add("m-2");
 * assertEquals([...seen], [ "m-2" ]);
 * ```
 */
export class BoundedSet<T> extends Set<T> {
  /** Most members kept. */
  readonly max: number;

  /** Creates an empty set that keeps at most `options.max` members. */
  constructor(options: { max: number }) {
    super();
    this.max = options.max;
  }

  /** Adds `value` as the newest member and forgets the oldest beyond `max`. */
  override add(value: T): this {
    super.delete(value);
    super.add(value);
    for (const oldest of super.values()) {
      if (this.size <= this.max) break;
      super.delete(oldest);
    }
    return this;
  }
}
