import { CheckpointError } from "./checkpoint-error.ts";

/**
 * A pickle reader for the subset of the format a torch state dict uses (protocol 2, plus the
 * protocol 4 framing/memo opcodes newer Pythons emit). It never runs code: a GLOBAL is looked up
 * in the caller's whitelist, and anything not there is refused with CheckpointError("unsupported_pickle").
 *
 * Values: None -> null, bool, int -> number (bigint beyond 2^53), float -> number, str -> string,
 * bytes -> Uint8Array, list -> array, tuple -> frozen array, dict -> Map.
 */

/** A whitelisted Python callable or class, as GLOBAL/STACK_GLOBAL pushes it. */
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
    /** What REDUCE/NEWOBJ does with it; absent for classes that are only passed around as values. */
    readonly call?: (args: readonly unknown[]) => unknown,
  ) {}

  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

export interface UnpickleOptions {
  /** The whitelist: the global for module.name, or undefined to refuse it. */
  findGlobal(module: string, name: string): PickleGlobal | undefined;
  /** BINPERSID: what a persistent id (torch: a storage reference) stands for. */
  persistentLoad?(pid: unknown): unknown;
  /** Named in error messages. */
  file?: string;
}

/** MARK pushes this onto the stack; the opcodes that consume a mark pop back to it. */
const MARK = Symbol("mark");

export function isTuple(v: unknown): v is readonly unknown[] {
  return Array.isArray(v) && Object.isFrozen(v);
}

function tuple(items: unknown[]): readonly unknown[] {
  return Object.freeze(items);
}

/** Python's repr-ish, short, for error messages. */
function describe(v: unknown): string {
  if (v === null) return "None";
  if (v instanceof PickleGlobal) return v.qualifiedName;
  if (v instanceof Map) return "dict";
  if (isTuple(v)) return "tuple";
  if (Array.isArray(v)) return "list";
  if (v instanceof Uint8Array) return "bytes";
  return typeof v;
}

export function unpickle(bytes: Uint8Array, options: UnpickleOptions): unknown {
  return new Unpickler(bytes, options).run();
}

class Unpickler {
  private pos = 0;
  private stack: unknown[] = [];
  private readonly memo = new Map<number, unknown>();
  private readonly dv: DataView;
  private readonly utf8 = new TextDecoder("utf-8", { fatal: true });
  private readonly latin1 = new TextDecoder("latin1");

  constructor(
    private readonly bytes: Uint8Array,
    private readonly options: UnpickleOptions,
  ) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private fail(code: "malformed" | "unsupported_pickle" | "truncated", message: string): never {
    throw new CheckpointError(code, `pickle: ${message}`, this.options.file);
  }

  private need(n: number, what: string): number {
    if (n < 0 || this.pos + n > this.bytes.byteLength) this.fail("truncated", `data ends inside ${what} at byte ${this.bytes.byteLength}`);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  private u8(what: string): number {
    return this.bytes[this.need(1, what)]!;
  }
  private u16(what: string): number {
    return this.dv.getUint16(this.need(2, what), true);
  }
  private i32(what: string): number {
    return this.dv.getInt32(this.need(4, what), true);
  }
  private u32(what: string): number {
    return this.dv.getUint32(this.need(4, what), true);
  }
  private u64(what: string): number {
    const v = this.dv.getBigUint64(this.need(8, what), true);
    if (v > BigInt(this.bytes.byteLength)) this.fail("truncated", `${what} of ${v} bytes exceeds the data`);
    return Number(v);
  }
  private slice(n: number, what: string): Uint8Array {
    const at = this.need(n, what);
    return this.bytes.subarray(at, at + n);
  }
  private line(what: string): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) this.fail("truncated", `data ends inside ${what}`);
    const text = this.latin1.decode(this.bytes.subarray(this.pos, end));
    this.pos = end + 1;
    return text;
  }
  private text(n: number, what: string): string {
    const raw = this.slice(n, what);
    try {
      return this.utf8.decode(raw);
    } catch {
      return this.fail("malformed", `${what} is not valid UTF-8`);
    }
  }

  private push(v: unknown): void {
    this.stack.push(v);
  }
  private pop(what: string): unknown {
    if (this.stack.length === 0) this.fail("malformed", `${what} on an empty stack`);
    const v = this.stack.pop();
    if (v === MARK) this.fail("malformed", `${what} found a MARK where a value belongs`);
    return v;
  }
  private top(what: string): unknown {
    const v = this.stack[this.stack.length - 1];
    if (this.stack.length === 0 || v === MARK) this.fail("malformed", `${what} needs a value on the stack`);
    return v;
  }
  /** Everything pushed since the last MARK, which is removed too. */
  private popMark(what: string): unknown[] {
    const at = this.stack.lastIndexOf(MARK);
    if (at < 0) this.fail("malformed", `${what} without a MARK`);
    const items = this.stack.slice(at + 1);
    this.stack.length = at;
    return items;
  }
  private memoGet(index: number): unknown {
    if (!this.memo.has(index)) this.fail("malformed", `memo entry ${index} is read before it is written`);
    return this.memo.get(index);
  }
  private int(v: number | bigint): number | bigint {
    return typeof v === "bigint" && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }

  private global(module: string, name: string): PickleGlobal {
    const g = this.options.findGlobal(module, name);
    if (!g) this.fail("unsupported_pickle", `global ${module}.${name} is not on the whitelist of what a state dict may contain; refusing to load it`);
    return g;
  }

  private setItems(target: unknown, items: unknown[], what: string): void {
    if (!(target instanceof Map)) this.fail("malformed", `${what} on a ${describe(target)}, not a dict`);
    if (items.length % 2) this.fail("malformed", `${what} with an odd number of items`);
    for (let i = 0; i < items.length; i += 2) target.set(items[i], items[i + 1]);
  }

  private append(target: unknown, items: unknown[], what: string): void {
    if (!Array.isArray(target) || Object.isFrozen(target)) this.fail("malformed", `${what} on a ${describe(target)}, not a list`);
    for (const item of items) target.push(item);
  }

  private apply(fn: unknown, args: unknown, what: string): unknown {
    if (!(fn instanceof PickleGlobal)) this.fail("malformed", `${what} of a ${describe(fn)}, which is not callable`);
    if (!fn.call) this.fail("unsupported_pickle", `${what} of ${fn.qualifiedName}, which may be passed around but not called`);
    if (!isTuple(args)) this.fail("malformed", `${what} of ${fn.qualifiedName} with ${describe(args)} arguments, not a tuple`);
    return fn.call(args);
  }

  run(): unknown {
    for (;;) {
      const op = this.u8("an opcode");
      switch (op) {
        case 0x80: // PROTO
          if (this.u8("PROTO") > 5) this.fail("unsupported_pickle", `protocol ${this.bytes[this.pos - 1]} is newer than 5`);
          break;
        case 0x95: // FRAME: a length prefix only, the opcodes follow inline
          this.u64("FRAME");
          break;
        case 0x2e: // STOP
          if (this.stack.length !== 1) this.fail("malformed", `STOP with ${this.stack.length} values on the stack`);
          return this.pop("STOP");
        case 0x28: // MARK
          this.push(MARK);
          break;
        case 0x7d: // EMPTY_DICT
          this.push(new Map());
          break;
        case 0x5d: // EMPTY_LIST
          this.push([]);
          break;
        case 0x29: // EMPTY_TUPLE
          this.push(tuple([]));
          break;
        case 0x4e: // NONE
          this.push(null);
          break;
        case 0x88: // NEWTRUE
          this.push(true);
          break;
        case 0x89: // NEWFALSE
          this.push(false);
          break;
        case 0x4a: // BININT
          this.push(this.i32("BININT"));
          break;
        case 0x4b: // BININT1
          this.push(this.u8("BININT1"));
          break;
        case 0x4d: // BININT2
          this.push(this.u16("BININT2"));
          break;
        case 0x8a: // LONG1: little-endian two's complement of n bytes
        case 0x8b: {
          // LONG4
          const n = op === 0x8a ? this.u8("LONG1") : this.u32("LONG4");
          const raw = this.slice(n, "a LONG");
          let v = 0n;
          for (let i = raw.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(raw[i]!);
          if (n > 0 && raw[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
          this.push(this.int(v));
          break;
        }
        case 0x47: // BINFLOAT: big-endian double
          this.push(this.dv.getFloat64(this.need(8, "BINFLOAT"), false));
          break;
        case 0x58: // BINUNICODE
          this.push(this.text(this.u32("BINUNICODE"), "a BINUNICODE string"));
          break;
        case 0x8c: // SHORT_BINUNICODE
          this.push(this.text(this.u8("SHORT_BINUNICODE"), "a SHORT_BINUNICODE string"));
          break;
        case 0x8d: // BINUNICODE8
          this.push(this.text(this.u64("BINUNICODE8"), "a BINUNICODE8 string"));
          break;
        case 0x43: // SHORT_BINBYTES
          this.push(this.slice(this.u8("SHORT_BINBYTES"), "SHORT_BINBYTES").slice());
          break;
        case 0x42: // BINBYTES
          this.push(this.slice(this.u32("BINBYTES"), "BINBYTES").slice());
          break;
        case 0x74: // TUPLE
          this.push(tuple(this.popMark("TUPLE")));
          break;
        case 0x85: // TUPLE1
          this.push(tuple([this.pop("TUPLE1")]));
          break;
        case 0x86: {
          // TUPLE2
          const b = this.pop("TUPLE2");
          this.push(tuple([this.pop("TUPLE2"), b]));
          break;
        }
        case 0x87: {
          // TUPLE3
          const c = this.pop("TUPLE3");
          const b = this.pop("TUPLE3");
          this.push(tuple([this.pop("TUPLE3"), b, c]));
          break;
        }
        case 0x6c: // LIST
          this.push(this.popMark("LIST"));
          break;
        case 0x64: {
          // DICT
          const d = new Map();
          this.setItems(d, this.popMark("DICT"), "DICT");
          this.push(d);
          break;
        }
        case 0x73: {
          // SETITEM
          const value = this.pop("SETITEM");
          const key = this.pop("SETITEM");
          this.setItems(this.top("SETITEM"), [key, value], "SETITEM");
          break;
        }
        case 0x75: {
          // SETITEMS
          const items = this.popMark("SETITEMS");
          this.setItems(this.top("SETITEMS"), items, "SETITEMS");
          break;
        }
        case 0x61: {
          // APPEND
          const item = this.pop("APPEND");
          this.append(this.top("APPEND"), [item], "APPEND");
          break;
        }
        case 0x65: {
          // APPENDS
          const items = this.popMark("APPENDS");
          this.append(this.top("APPENDS"), items, "APPENDS");
          break;
        }
        case 0x30: // POP
          if (this.stack.length === 0) this.fail("malformed", "POP on an empty stack");
          this.stack.pop();
          break;
        case 0x31: // POP_MARK
          this.popMark("POP_MARK");
          break;
        case 0x32: // DUP
          this.push(this.top("DUP"));
          break;
        case 0x71: // BINPUT
          this.memo.set(this.u8("BINPUT"), this.top("BINPUT"));
          break;
        case 0x72: // LONG_BINPUT
          this.memo.set(this.u32("LONG_BINPUT"), this.top("LONG_BINPUT"));
          break;
        case 0x94: // MEMOIZE
          this.memo.set(this.memo.size, this.top("MEMOIZE"));
          break;
        case 0x68: // BINGET
          this.push(this.memoGet(this.u8("BINGET")));
          break;
        case 0x6a: // LONG_BINGET
          this.push(this.memoGet(this.u32("LONG_BINGET")));
          break;
        case 0x63: {
          // GLOBAL: "module\nname\n"
          const module = this.line("a GLOBAL module name");
          this.push(this.global(module, this.line("a GLOBAL name")));
          break;
        }
        case 0x93: {
          // STACK_GLOBAL
          const name = this.pop("STACK_GLOBAL");
          const module = this.pop("STACK_GLOBAL");
          if (typeof module !== "string" || typeof name !== "string") this.fail("malformed", "STACK_GLOBAL of non-string names");
          this.push(this.global(module, name));
          break;
        }
        case 0x52: {
          // REDUCE
          const args = this.pop("REDUCE");
          this.push(this.apply(this.pop("REDUCE"), args, "REDUCE"));
          break;
        }
        case 0x81: {
          // NEWOBJ: cls.__new__(cls, *args); the whitelist's classes construct themselves alike
          const args = this.pop("NEWOBJ");
          this.push(this.apply(this.pop("NEWOBJ"), args, "NEWOBJ"));
          break;
        }
        case 0x62: {
          // BUILD
          const state = this.pop("BUILD");
          const target = this.top("BUILD");
          // torch puts a `_metadata` attribute (module versions) on each state-dict OrderedDict; a tensor
          // reader has no use for it. Any other BUILD would mean running a __setstate__: refused.
          if (!(target instanceof Map) || !(state instanceof Map)) {
            this.fail("unsupported_pickle", `BUILD of a ${describe(target)} from a ${describe(state)} is not supported`);
          }
          break;
        }
        case 0x51: {
          // BINPERSID
          const pid = this.pop("BINPERSID");
          if (!this.options.persistentLoad) this.fail("unsupported_pickle", "a persistent id appears but none is expected");
          this.push(this.options.persistentLoad(pid));
          break;
        }
        default:
          this.fail("unsupported_pickle", `opcode 0x${op.toString(16).padStart(2, "0")} at byte ${this.pos - 1} is not supported`);
      }
    }
  }
}
