import { describe, expect, it } from "vitest";
import { CheckpointError, type CheckpointErrorCode } from "../../../shared/checkpoint/checkpoint-error.ts";
import { isTuple, PickleGlobal, unpickle, type UnpickleOptions } from "../../../shared/checkpoint/pickle.ts";
import { ZipArchive } from "../../../shared/checkpoint/zip-archive.ts";
import { PickleWriter, seededRandom } from "./build-torch-zip.ts";

/** A whitelist of one callable (test.make(*args) -> {made: args}) and one class that may not be called. */
const options: UnpickleOptions = {
  findGlobal: (module, name) => {
    if (module === "test" && name === "make") return new PickleGlobal("test", "make", (args) => ({ made: args }));
    if (module === "test" && name === "Inert") return new PickleGlobal("test", "Inert");
    return undefined;
  },
  persistentLoad: (pid) => ({ persisted: pid }),
};

function load(w: PickleWriter): unknown {
  return unpickle(w.bytes(), options);
}

function failure(fn: () => unknown): { code: CheckpointErrorCode | "no error" | "not a CheckpointError"; message: string } {
  try {
    fn();
    return { code: "no error", message: "" };
  } catch (err) {
    return err instanceof CheckpointError ? { code: err.code, message: err.message } : { code: "not a CheckpointError", message: String(err) };
  }
}

describe("unpickle: values", () => {
  it("reads integers of every width, with sign, as numbers, and beyond 2^53 as bigints", () => {
    const ints: (number | bigint)[] = [0, 200, 300, 65535, 70000, -1, -70000, 2 ** 31 - 1, -(2 ** 31), 2 ** 40, -(2 ** 40), 2n ** 70n, -(2n ** 64n)];
    const w = new PickleWriter().proto().mark();
    for (const n of ints) w.int(n);
    const got = load(w.tuple().stop()) as unknown[];
    expect(got).toEqual(ints.map((n) => (typeof n === "bigint" ? n : n)));
    expect(typeof got[9]).toBe("number");
    expect(typeof got[11]).toBe("bigint");
  });

  it("reads floats, strings (BINUNICODE and SHORT_BINUNICODE, UTF-8), None and booleans", () => {
    const w = new PickleWriter().proto().mark().float(-0.1).float(1e300).str("héllo wörld").shortStr("ß").none().bool(true).bool(false).tuple().stop();
    expect(load(w)).toEqual([-0.1, 1e300, "héllo wörld", "ß", null, true, false]);
  });

  it("builds tuples (frozen) with TUPLE1-3 and TUPLE, lists with APPEND/APPENDS, dicts with SETITEM/SETITEMS", () => {
    const w = new PickleWriter().proto().emptyDict();
    w.str("t1").int(1).tuple(1).setitem();
    w.mark().str("t2").int(1).int(2).tuple(2).str("t3").int(1).int(2).int(3).tuple(3).str("t0").emptyTuple().setitems();
    w.str("t4").mark().int(1).int(2).int(3).int(4).tuple().setitem();
    w.str("list").emptyList().int(1).append().mark().int(2).int(3).appends().setitem();
    w.stop();
    const d = load(w) as Map<string, unknown>;
    expect(d).toBeInstanceOf(Map);
    expect([...d.keys()]).toEqual(["t1", "t2", "t3", "t0", "t4", "list"]);
    expect(d.get("t1")).toEqual([1]);
    expect(d.get("t3")).toEqual([1, 2, 3]);
    expect(d.get("t4")).toEqual([1, 2, 3, 4]);
    expect(isTuple(d.get("t2"))).toBe(true);
    expect(d.get("list")).toEqual([1, 2, 3]);
    expect(isTuple(d.get("list"))).toBe(false);
  });

  it("shares memoised values: BINPUT/BINGET, LONG_BINPUT/LONG_BINGET and MEMOIZE return the same object", () => {
    const w = new PickleWriter().proto(4).frame(40).mark();
    w.emptyList().put(0).get(0);
    w.emptyDict().put(300).get(300);
    w.str("memoized").memoize().raw(0x30); // MEMOIZE stores at index len(memo) = 2 (entries 0 and 300); then POP
    w.get(2);
    w.tuple().stop();
    const [a, b, c, d, e] = load(w) as unknown[];
    expect(a).toBe(b);
    expect(c).toBe(d);
    expect(e).toBe("memoized");
  });

  it("calls only whitelisted globals, through GLOBAL and STACK_GLOBAL, with REDUCE and NEWOBJ", () => {
    const w = new PickleWriter().proto().mark();
    w.global("test", "make").int(1).str("x").tuple(2).reduce();
    w.shortStr("test").shortStr("make").stackGlobal().emptyTuple().newobj();
    w.tuple().stop();
    expect(load(w)).toEqual([{ made: [1, "x"] }, { made: [] }]);
  });

  it("hands persistent ids to persistentLoad", () => {
    const w = new PickleWriter().proto().str("storage").str("0").tuple(2).binpersid().stop();
    expect(load(w)).toEqual({ persisted: ["storage", "0"] });
  });

  it("accepts BUILD of a dict's attributes (torch's OrderedDict _metadata) and keeps the dict's items", () => {
    const w = new PickleWriter().proto().emptyDict().str("k").int(5).setitem();
    w.emptyDict().str("_metadata").emptyDict().setitem().build().stop();
    expect(load(w)).toEqual(new Map([["k", 5]]));
  });
});

describe("unpickle: refusals", () => {
  it("refuses a forbidden GLOBAL by name, without calling anything (hand-written bytes: os.system('echo pwned'))", () => {
    // \x80\x02 c os\nsystem\n X <len> echo pwned \x85 R .
    const bytes = Uint8Array.from([
      0x80, 0x02, 0x63, ...new TextEncoder().encode("os\nsystem\n"), 0x58, 10, 0, 0, 0, ...new TextEncoder().encode("echo pwned"), 0x85, 0x52, 0x2e,
    ]);
    const asked: string[] = [];
    const f = failure(() =>
      unpickle(bytes, {
        findGlobal: (m, n) => {
          asked.push(`${m}.${n}`);
          return undefined;
        },
      }),
    );
    expect(f.code).toBe("unsupported_pickle");
    expect(f.message).toContain("os.system");
    expect(asked).toEqual(["os.system"]);
  });

  it("refuses a forbidden STACK_GLOBAL (builtins.eval) by name", () => {
    const w = new PickleWriter().proto(4).shortStr("builtins").shortStr("eval").stackGlobal().shortStr("1+1").tuple(1).reduce().stop();
    const f = failure(() => load(w));
    expect(f.code).toBe("unsupported_pickle");
    expect(f.message).toContain("builtins.eval");
  });

  it("refuses to call a whitelisted global that is not callable, and BUILD of anything but a dict", () => {
    expect(failure(() => load(new PickleWriter().proto().global("test", "Inert").emptyTuple().reduce().stop())).code).toBe("unsupported_pickle");
    expect(failure(() => load(new PickleWriter().proto().emptyList().emptyDict().build().stop())).code).toBe("unsupported_pickle");
  });

  it("refuses opcodes outside the subset (INST, OBJ, EXT1, STRING) and future protocols", () => {
    for (const op of [0x69, 0x6f, 0x82, 0x53]) {
      const f = failure(() => unpickle(Uint8Array.of(0x80, 2, op, 0x2e), options));
      expect(f.code).toBe("unsupported_pickle");
      expect(f.message).toContain(`0x${op.toString(16)}`);
    }
    expect(failure(() => unpickle(Uint8Array.of(0x80, 9, 0x4e, 0x2e), options)).code).toBe("unsupported_pickle");
  });

  it("reports structural nonsense as malformed", () => {
    const cases: [string, PickleWriter][] = [
      ["SETITEM on an empty stack", new PickleWriter().proto().raw(0x73).stop()],
      ["SETITEM on a list", new PickleWriter().proto().emptyList().int(1).int(2).setitem().stop()],
      ["APPEND on a tuple", new PickleWriter().proto().emptyTuple().int(1).append().stop()],
      ["TUPLE without MARK", new PickleWriter().proto().int(1).tuple().stop()],
      ["BINGET before BINPUT", new PickleWriter().proto().get(3).stop()],
      ["STOP with two values", new PickleWriter().proto().int(1).int(2).stop()],
      ["STOP with none", new PickleWriter().proto().stop()],
      ["REDUCE of a non-callable", new PickleWriter().proto().int(1).emptyTuple().reduce().stop()],
      ["SETITEMS with an odd count", new PickleWriter().proto().emptyDict().mark().int(1).setitems().stop()],
      ["invalid UTF-8", new PickleWriter().proto().raw(0x8c, 2, 0xc3, 0x28).stop()],
    ];
    for (const [what, w] of cases) expect(failure(() => load(w)).code, what).toBe("malformed");
  });
});

describe("unpickle: truncation and corruption", () => {
  const realPickle = ZipArchive.open("test/fixtures/golden/adapter/ip-adapter.bin").read("ip-adapter/data.pkl");
  // Every global callable (a test can: nothing is executed), OrderedDict as a dict so SETITEMS applies.
  const torchOptions: UnpickleOptions = {
    findGlobal: (m, n) => new PickleGlobal(m, n, (args) => (n === "OrderedDict" ? new Map() : { [`${m}.${n}`]: args })),
    persistentLoad: (pid) => pid,
  };

  it("every prefix of a real torch data.pkl is reported as truncated", () => {
    expect(failure(() => unpickle(realPickle, torchOptions)).code).toBe("no error");
    for (let n = 0; n < realPickle.byteLength; n++) {
      const f = failure(() => unpickle(realPickle.subarray(0, n), torchOptions));
      if (f.code !== "truncated") expect.fail(`cut at ${n}: ${f.code} ${f.message}`);
    }
  });

  it("a length field that claims more than the data holds is truncated, not an allocation", () => {
    expect(failure(() => unpickle(Uint8Array.of(0x80, 2, 0x58, 0xff, 0xff, 0xff, 0x7f, 0x41), options)).code).toBe("truncated");
    expect(failure(() => unpickle(Uint8Array.of(0x80, 4, 0x8d, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x41), options)).code).toBe("truncated");
  });

  it("random corruption gives a CheckpointError or a value, never another failure or a hang", () => {
    const rnd = seededRandom(13);
    for (let i = 0; i < 300; i++) {
      const bytes = realPickle.slice();
      for (let k = 0; k < 4; k++) bytes[Math.floor(rnd() * bytes.byteLength)] = Math.floor(rnd() * 256);
      expect(failure(() => unpickle(bytes, torchOptions)).code).not.toBe("not a CheckpointError");
    }
  });
});
