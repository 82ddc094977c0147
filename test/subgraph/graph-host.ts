/**
 * A minimal graph-node host for the subgraph's compiled mappings (subgraph/build/<DataSource>/*.wasm), so
 * the real WASM runs in Node without matchstick: it implements the host imports the mappings use (store
 * get/set, BigInt plus/minus, bytes-to-hex and BigInt-to-string conversion, log, abort) over the
 * AssemblyScript 0.19 stub-runtime memory layout, builds `ethereum.Event` objects the way graph-node does
 * (graph-ts TypeId class ids from the module's `id_of_type`), instantiates a fresh instance per trigger as
 * graph-node does, and checks every `store.set` against schema.graphql (non-null fields present, immutable
 * entities written once). Any other host import throws, naming itself.
 */
import { readFileSync } from "node:fs";
import { hexToBytes, bytesToHex, type AbiEvent, type AbiParameter } from "viem";

// graph-ts TypeId discriminants (global/global.ts), and value kinds (common/value.ts, chain/ethereum.ts).
const T = {
  String: 0,
  ArrayBuffer: 1,
  Uint8Array: 6,
  ArrayEthereumValue: 15,
  ArrayEventParam: 19,
  ArrayStoreValue: 16,
} as const;
const T2 = {
  EventParam: 23,
  Transaction: 24,
  Block: 25,
  EthereumValue: 30,
  StoreValue: 31,
  Event: 33,
  MapEntry: 34,
  Map: 36,
  ArrayMapEntry: 21,
};
export const StoreKind = {
  STRING: 0,
  INT: 1,
  BIGDECIMAL: 2,
  BOOL: 3,
  ARRAY: 4,
  NULL: 5,
  BYTES: 6,
  BIGINT: 7,
  INT8: 8,
  TIMESTAMP: 9,
} as const;
const EthKind = { ADDRESS: 0, FIXED_BYTES: 1, BYTES: 2, INT: 3, UINT: 4, BOOL: 5, STRING: 6, ARRAY: 8 } as const;

/** A store value as JS: strings, numbers (Int), booleans, bigint (BigInt/Int8/Timestamp), hex (Bytes), arrays, null. */
export type JsValue = string | number | boolean | bigint | null | JsValue[];
/** A stored field: its value kind, its value, and for arrays each element's kind. */
export type EntityData = Record<string, { kind: number; value: JsValue; kinds?: number[] }>;

/** One trigger: an event of a data source, with the block and transaction around it. */
export interface HostEvent {
  dataSource: string;
  abi: AbiEvent;
  args: Record<string, unknown>;
  address: `0x${string}`;
  logIndex: number;
  blockNumber: bigint;
  blockHash: `0x${string}`;
  timestamp: bigint;
  txHash: `0x${string}`;
  txIndex: number;
  from: `0x${string}`;
  to: `0x${string}` | null;
}

interface SchemaEntity {
  immutable: boolean;
  required: string[];
}

/** Entity types of schema.graphql: immutability and non-null stored (non-derived) fields. */
export function parseSchema(text: string): Map<string, SchemaEntity> {
  const out = new Map<string, SchemaEntity>();
  const re = /type\s+(\w+)\s+@entity\(immutable:\s*(true|false)\)\s*\{([^}]*)\}/g;
  for (const m of text.matchAll(re)) {
    const required = [...m[3].matchAll(/^\s*(\w+):\s*([^\s#]+)(.*)$/gm)]
      .filter((f) => f[2].endsWith("!") && !f[3].includes("@derivedFrom"))
      .map((f) => f[1]);
    out.set(m[1], { immutable: m[2] === "true", required });
  }
  return out;
}

const toSignedLE = (v: bigint): Uint8Array => {
  const out: number[] = [];
  for (;;) {
    const byte = Number(v & 0xffn);
    v >>= 8n;
    out.push(byte);
    if ((v === 0n && (byte & 0x80) === 0) || (v === -1n && (byte & 0x80) !== 0)) return Uint8Array.from(out);
  }
};
const fromSignedLE = (b: Uint8Array): bigint => {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  return b.length > 0 && b[b.length - 1] & 0x80 ? v - (1n << BigInt(8 * b.length)) : v;
};

/** One instantiated mapping module and its memory helpers (AssemblyScript 0.19, stub runtime). */
class Asc {
  readonly exports: Record<string, any>;
  private readonly ids = new Map<number, number>();

  constructor(module: WebAssembly.Module, imports: (asc: Asc) => WebAssembly.Imports) {
    this.exports = new WebAssembly.Instance(module, imports(this)).exports as Record<string, any>;
    this.exports._start?.();
  }
  private get view() {
    return new DataView((this.exports.memory as WebAssembly.Memory).buffer);
  }
  private get bytes() {
    return new Uint8Array((this.exports.memory as WebAssembly.Memory).buffer);
  }
  private rt(typeId: number): number {
    if (!this.ids.has(typeId)) this.ids.set(typeId, this.exports.id_of_type(typeId));
    return this.ids.get(typeId)!;
  }
  alloc(size: number, typeId: number): number {
    return this.exports.__new(size, this.rt(typeId)) as number;
  }
  u32(ptr: number): number {
    return this.view.getUint32(ptr, true);
  }
  setU32(ptr: number, v: number) {
    this.view.setUint32(ptr, v, true);
  }
  readString(ptr: number): string {
    if (ptr === 0) return "";
    const len = this.u32(ptr - 4);
    return Buffer.from(this.bytes.slice(ptr, ptr + len)).toString("utf16le");
  }
  newString(s: string): number {
    const data = Buffer.from(s, "utf16le");
    const p = this.alloc(data.length, T.String);
    this.bytes.set(data, p);
    return p;
  }
  readBytes(ptr: number): Uint8Array {
    const start = this.u32(ptr + 4);
    return this.bytes.slice(start, start + this.u32(ptr + 8));
  }
  newBytes(data: Uint8Array): number {
    const buf = this.alloc(data.length, T.ArrayBuffer);
    this.bytes.set(data, buf);
    const view = this.alloc(12, T.Uint8Array);
    this.setU32(view, buf);
    this.setU32(view + 4, buf);
    this.setU32(view + 8, data.length);
    return view;
  }
  newBigInt(v: bigint): number {
    return this.newBytes(toSignedLE(v));
  }
  readBigInt(ptr: number): bigint {
    return fromSignedLE(this.readBytes(ptr));
  }
  readArray(ptr: number): number[] {
    const start = this.u32(ptr + 4);
    return Array.from({ length: this.view.getInt32(ptr + 12, true) }, (_, i) => this.u32(start + 4 * i));
  }
  newArray(ptrs: number[], typeId: number): number {
    const buf = this.alloc(4 * ptrs.length, T.ArrayBuffer);
    ptrs.forEach((p, i) => this.setU32(buf + 4 * i, p));
    const arr = this.alloc(16, typeId);
    this.setU32(arr, buf);
    this.setU32(arr + 4, buf);
    this.setU32(arr + 8, 4 * ptrs.length);
    this.setU32(arr + 12, ptrs.length);
    return arr;
  }
  newValue(kind: number, payload: bigint, typeId: number): number {
    const p = this.alloc(16, typeId);
    this.view.setInt32(p, kind, true);
    this.view.setBigUint64(p + 8, BigInt.asUintN(64, payload), true);
    return p;
  }
  newObject(fields: number[], typeId: number): number {
    const p = this.alloc(4 * fields.length, typeId);
    fields.forEach((f, i) => this.setU32(p + 4 * i, f));
    return p;
  }

  // ---- store values
  readStoreValue(ptr: number): { kind: number; value: JsValue; kinds?: number[] } {
    const kind = this.view.getInt32(ptr, true);
    const data = this.view.getBigUint64(ptr + 8, true);
    const p = Number(data & 0xffffffffn);
    switch (kind) {
      case StoreKind.STRING:
        return { kind, value: this.readString(p) };
      case StoreKind.INT:
        return { kind, value: Number(BigInt.asIntN(32, data)) };
      case StoreKind.BOOL:
        return { kind, value: data !== 0n };
      case StoreKind.ARRAY: {
        const items = this.readArray(p).map((e) => this.readStoreValue(e));
        return { kind, value: items.map((x) => x.value), kinds: items.map((x) => x.kind) };
      }
      case StoreKind.NULL:
        return { kind, value: null };
      case StoreKind.BYTES:
        return { kind, value: bytesToHex(this.readBytes(p)) };
      case StoreKind.BIGINT:
        return { kind, value: this.readBigInt(p) };
      case StoreKind.INT8:
      case StoreKind.TIMESTAMP:
        return { kind, value: BigInt.asIntN(64, data) };
      default:
        throw new Error(`test host: store value kind ${kind} not supported`);
    }
  }
  newStoreValue(kind: number, value: JsValue, kinds?: number[]): number {
    switch (kind) {
      case StoreKind.STRING:
        return this.newValue(kind, BigInt(this.newString(value as string)), T2.StoreValue);
      case StoreKind.INT:
        return this.newValue(kind, BigInt(value as number), T2.StoreValue);
      case StoreKind.BOOL:
        return this.newValue(kind, value ? 1n : 0n, T2.StoreValue);
      case StoreKind.NULL:
        return this.newValue(kind, 0n, T2.StoreValue);
      case StoreKind.BYTES:
        return this.newValue(kind, BigInt(this.newBytes(hexToBytes(value as `0x${string}`))), T2.StoreValue);
      case StoreKind.BIGINT:
        return this.newValue(kind, BigInt(this.newBigInt(value as bigint)), T2.StoreValue);
      case StoreKind.INT8:
      case StoreKind.TIMESTAMP:
        return this.newValue(kind, value as bigint, T2.StoreValue);
      case StoreKind.ARRAY: {
        const items = (value as JsValue[]).map((v, i) => this.newStoreValue(kinds![i], v));
        return this.newValue(kind, BigInt(this.newArray(items, T.ArrayStoreValue)), T2.StoreValue);
      }
      default:
        throw new Error(`test host: store value kind ${kind} not supported`);
    }
  }
  readEntity(ptr: number): EntityData {
    const out: EntityData = {};
    for (const e of this.readArray(this.u32(ptr)))
      out[this.readString(this.u32(e))] = this.readStoreValue(this.u32(e + 4));
    return out;
  }
  newEntity(data: EntityData): number {
    const entries = Object.entries(data).map(([k, v]) =>
      this.newObject([this.newString(k), this.newStoreValue(v.kind, v.value, v.kinds)], T2.MapEntry),
    );
    return this.newObject([this.newArray(entries, T2.ArrayMapEntry)], T2.Map);
  }

  // ---- ethereum values and events
  newEthValue(param: AbiParameter, v: unknown): number {
    const t = param.type;
    if (t.endsWith("[]")) {
      const inner = { ...param, type: t.slice(0, -2) };
      const items = (v as unknown[]).map((x) => this.newEthValue(inner, x));
      return this.newValue(EthKind.ARRAY, BigInt(this.newArray(items, T.ArrayEthereumValue)), T2.EthereumValue);
    }
    const ptr = (p: number) => BigInt(p);
    if (t === "address")
      return this.newValue(EthKind.ADDRESS, ptr(this.newBytes(hexToBytes(v as `0x${string}`))), T2.EthereumValue);
    if (t === "bytes")
      return this.newValue(EthKind.BYTES, ptr(this.newBytes(hexToBytes(v as `0x${string}`))), T2.EthereumValue);
    if (/^bytes\d+$/.test(t))
      return this.newValue(EthKind.FIXED_BYTES, ptr(this.newBytes(hexToBytes(v as `0x${string}`))), T2.EthereumValue);
    if (/^uint\d+$/.test(t))
      return this.newValue(EthKind.UINT, ptr(this.newBigInt(BigInt(v as bigint | number))), T2.EthereumValue);
    if (/^int\d+$/.test(t))
      return this.newValue(EthKind.INT, ptr(this.newBigInt(BigInt(v as bigint | number))), T2.EthereumValue);
    if (t === "bool") return this.newValue(EthKind.BOOL, v ? 1n : 0n, T2.EthereumValue);
    if (t === "string") return this.newValue(EthKind.STRING, ptr(this.newString(v as string)), T2.EthereumValue);
    throw new Error(`test host: ABI type ${t} not supported`);
  }
  newEvent(e: HostEvent): number {
    const b = (hex: string) => this.newBytes(hexToBytes(hex as `0x${string}`));
    const zero32 = () => this.newBytes(new Uint8Array(32));
    const n = (v: bigint | number) => this.newBigInt(BigInt(v));
    const block = this.newObject(
      [
        b(e.blockHash),
        zero32(),
        zero32(),
        this.newBytes(new Uint8Array(20)),
        zero32(),
        zero32(),
        zero32(),
        n(e.blockNumber),
        n(0),
        n(30_000_000),
        n(e.timestamp),
        n(0),
        n(0),
        0,
        0,
      ],
      T2.Block,
    );
    const tx = this.newObject(
      [
        b(e.txHash),
        n(e.txIndex),
        b(e.from),
        e.to ? b(e.to) : 0,
        n(0),
        n(0),
        n(0),
        this.newBytes(new Uint8Array(0)),
        n(0),
      ],
      T2.Transaction,
    );
    const params = e.abi.inputs.map((input) =>
      this.newObject([this.newString(input.name!), this.newEthValue(input, e.args[input.name!])], T2.EventParam),
    );
    return this.newObject(
      [b(e.address), n(e.logIndex), n(e.logIndex), 0, block, tx, this.newArray(params, T.ArrayEventParam), 0],
      T2.Event,
    );
  }
}

export interface LogLine {
  level: number;
  message: string;
  dataSource: string;
}

/** The host: one store shared by every data source's module, and the mapping logs. */
export class GraphHost {
  readonly store = new Map<string, Map<string, EntityData>>();
  readonly logs: LogLine[] = [];
  private readonly modules = new Map<string, WebAssembly.Module>();
  private readonly schema: Map<string, SchemaEntity>;

  /** `buildDir`: subgraph/build; `dataSources`: names of its data sources. */
  constructor(buildDir: string, dataSources: readonly string[], schemaText: string) {
    this.schema = parseSchema(schemaText);
    for (const ds of dataSources)
      this.modules.set(ds, new WebAssembly.Module(readFileSync(`${buildDir}/${ds}/${ds}.wasm`)));
  }

  /** Runs the handler of `e` (`handle<EventName>`) in a fresh instance; false if the mapping has none. */
  trigger(e: HostEvent): boolean {
    const module = this.modules.get(e.dataSource);
    if (!module) throw new Error(`test host: no data source ${e.dataSource}`);
    const asc = new Asc(module, (a) => this.imports(module, a, e.dataSource));
    const handler = asc.exports[`handle${e.abi.name}`];
    if (typeof handler !== "function") return false;
    handler(asc.newEvent(e));
    return true;
  }

  /** Entities of `type` as plain objects (field -> JS value). */
  all(type: string): Record<string, JsValue>[] {
    return [...(this.store.get(type)?.values() ?? [])].map(plain);
  }

  get(type: string, id: string): Record<string, JsValue> | undefined {
    const e = this.store.get(type)?.get(id.toLowerCase());
    return e && plain(e);
  }

  private set(type: string, id: string, data: EntityData) {
    const s = this.schema.get(type);
    if (!s) throw new Error(`store.set of unknown entity type ${type}`);
    const missing = s.required.filter((f) => {
      const v = (data as Partial<EntityData>)[f];
      return v === undefined || v.kind === StoreKind.NULL;
    });
    if (missing.length > 0) throw new Error(`store.set ${type} ${id}: missing non-null field(s) ${missing.join(", ")}`);
    const table = this.store.get(type) ?? new Map<string, EntityData>();
    this.store.set(type, table);
    const key = id.toLowerCase();
    if (s.immutable && table.has(key)) throw new Error(`store.set ${type} ${id}: immutable entity written twice`);
    table.set(key, data);
  }

  private imports(module: WebAssembly.Module, asc: Asc, dataSource: string): WebAssembly.Imports {
    const impl: Record<string, (...args: number[]) => unknown> = {
      "env.abort": (msg, file, line, col) => {
        throw new Error(`mapping aborted: ${asc.readString(msg)} at ${asc.readString(file)}:${line}:${col}`);
      },
      "index.store.get": (type, id) => {
        const e = this.store.get(asc.readString(type))?.get(asc.readString(id).toLowerCase());
        return e ? asc.newEntity(e) : 0;
      },
      "index.store.set": (type, id, data) => this.set(asc.readString(type), asc.readString(id), asc.readEntity(data)),
      "index.log.log": (level, msg) => {
        this.logs.push({ level, message: asc.readString(msg), dataSource });
        if (level === 0) throw new Error(`log.critical: ${asc.readString(msg)}`);
      },
      "conversion.typeConversion.bytesToHex": (p) => asc.newString(bytesToHex(asc.readBytes(p))),
      "conversion.typeConversion.bigIntToString": (p) => asc.newString(asc.readBigInt(p).toString()),
      "numbers.bigInt.plus": (x, y) => asc.newBigInt(asc.readBigInt(x) + asc.readBigInt(y)),
      "numbers.bigInt.minus": (x, y) => asc.newBigInt(asc.readBigInt(x) - asc.readBigInt(y)),
    };
    const imports: Record<string, Record<string, unknown>> = {};
    for (const i of WebAssembly.Module.imports(module)) {
      const name = `${i.module}.${i.name}`;
      imports[i.module] ??= {};
      imports[i.module][i.name] =
        impl[name] ??
        (() => {
          throw new Error(`test host: host function ${name} is not implemented`);
        });
    }
    return imports as WebAssembly.Imports;
  }
}

function plain(e: EntityData): Record<string, JsValue> {
  return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, v.value]));
}
