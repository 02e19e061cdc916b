/**
 * Value types shared by the unpickler and the pickler.
 *
 * Python values map to JavaScript as follows: `None` → `null`, `bool` → `boolean`,
 * `int` → `number` (or `bigint` beyond 2^53), `float` → `number` (or {@linkcode PyFloat}
 * when asked to keep the distinction), `str` → `string`, `bytes` → `Uint8Array`,
 * `list` → `Array`, `tuple` → a frozen array tagged by {@linkcode tuple}, `dict` → `Map`,
 * and anything else a `findClass` hook does not resolve → {@linkcode PyGlobal} /
 * {@linkcode PyObject}.
 *
 * @module
 */

const TUPLE_TAG: unique symbol = Symbol("pickle.tuple");

/** A Python tuple: a frozen array carrying a hidden tag so the pickler writes a tuple again. */
export type Tuple<T = unknown> = readonly T[] & { readonly [TUPLE_TAG]: true };

/**
 * Make a Python tuple.
 *
 * @param items The tuple's items.
 * @returns A frozen array that {@linkcode isTuple} recognises.
 *
 * @example Build a shape tuple
 * ```ts
 * import { isTuple, tuple } from "./_types.ts";
 * import assert from "node:assert/strict";
 * const shape = tuple(371, 64);
 * assert.equal(shape.length, 2);
 * assert.ok(isTuple(shape));
 * ```
 */
export function tuple<T = unknown>(...items: NoInfer<T>[]): Tuple<T> {
  Object.defineProperty(items, TUPLE_TAG, { value: true, enumerable: false });
  return Object.freeze(items) as unknown as Tuple<T>;
}

/**
 * Whether a value is a Python tuple made by {@linkcode tuple} or read by the unpickler.
 *
 * @param value Any value.
 * @returns `true` for tuples, `false` for lists and everything else.
 *
 * @example Lists are not tuples
 * ```ts
 * import { isTuple, tuple } from "./_types.ts";
 * import assert from "node:assert/strict";
 * assert.equal(isTuple([1, 2]), false);
 * assert.equal(isTuple(tuple(1, 2)), true);
 * ```
 */
export function isTuple(value: unknown): value is Tuple {
  return Array.isArray(value) && (value as any)[TUPLE_TAG] === true;
}

/** A Python float kept distinct from int (e.g. `0.0`), for faithful round trips. */
export class PyFloat {
  /** @param value The float's value. */
  constructor(readonly value: number) {}
  /** @returns The plain number. */
  valueOf(): number {
    return this.value;
  }
}

/** A reference to a Python global (`module.name`), as written by GLOBAL / STACK_GLOBAL. */
export class PyGlobal {
  /**
   * @param module Python module, e.g. `collections`.
   * @param name Qualified name inside the module, e.g. `OrderedDict`.
   */
  constructor(readonly module: string, readonly name: string) {}
  /** @returns `module.name`. */
  toString(): string {
    return `${this.module}.${this.name}`;
  }
}

/**
 * An object the unpickler could not turn into a JavaScript value: the callable, its
 * arguments and any BUILD state. The pickler writes it back as `callable(*args)` + BUILD,
 * with optional list/dict items appended after construction (how Python pickles
 * `OrderedDict` and list subclasses).
 */
export class PyObject {
  /** State given by BUILD (`__setstate__` / `__dict__` update), if any. */
  state: unknown = undefined;
  /** Items appended with APPEND(S), if the object behaves like a list. */
  listItems: unknown[] | undefined = undefined;
  /** Items set with SETITEM(S), if the object behaves like a dict. */
  dictItems: Map<unknown, unknown> | undefined = undefined;
  /**
   * @param callable What Python calls to make the object (usually a {@linkcode PyGlobal}).
   * @param args The call's arguments.
   * @param newObj Whether it was made with NEWOBJ (`cls.__new__(cls, *args)`).
   */
  constructor(readonly callable: unknown, readonly args: readonly unknown[], readonly newObj = false) {}
}

/** Thrown for malformed or unsupported pickle data. */
export class PickleError extends Error {
  /** Byte offset of the opcode that failed, when known. */
  readonly offset: number | undefined;
  /**
   * @param message What went wrong.
   * @param offset Byte offset in the pickle.
   */
  constructor(message: string, offset?: number) {
    super(offset === undefined ? message : `${message} (at byte ${offset})`);
    this.name = "PickleError";
    this.offset = offset;
  }
}
