/**
 * VICI wire format (strongSwan's control socket), the pure part: message elements, packets and a
 * streaming packet reader. No sockets here.
 *
 * The helper runs as root and reads what charon writes, so the decoder treats every byte as
 * hostile: each length is checked against what is left before anything is read or allocated,
 * every element consumes at least one byte (no loop can outlast its input), nesting is capped, a
 * packet longer than MAX_PACKET_BYTES is refused from its length prefix alone (never buffered),
 * and anything malformed throws a ViciCodecError saying what and at which byte offset.
 *
 * Layout (src/libcharon/plugins/vici/README.md):
 *   frame   = u32 big-endian length (of what follows) + packet
 *   packet  = u8 type [+ u8 name length + ASCII name, for named types] [+ message]
 *   message = elements: SECTION_START(1) name, SECTION_END(2), KEY_VALUE(3) name + u16 length +
 *             value, LIST_START(4) name, LIST_ITEM(5) u16 length + value, LIST_END(6);
 *             names have an 8-bit length; lists hold values only and do not nest.
 */

export type ViciValue = string | Uint8Array;
export type ViciSection = { [k: string]: ViciValue | ViciValue[] | ViciSection };

export const ELEMENT = {
  SECTION_START: 1,
  SECTION_END: 2,
  KEY_VALUE: 3,
  LIST_START: 4,
  LIST_ITEM: 5,
  LIST_END: 6,
} as const;

export const PACKET = {
  CMD_REQUEST: 0,
  CMD_RESPONSE: 1,
  CMD_UNKNOWN: 2,
  EVENT_REGISTER: 3,
  EVENT_UNREGISTER: 4,
  EVENT_CONFIRM: 5,
  EVENT_UNKNOWN: 6,
  EVENT: 7,
} as const;
export type PacketType = (typeof PACKET)[keyof typeof PACKET];

const PACKET_NAMES: readonly string[] = Object.keys(PACKET);

/** Packet types that carry a name, and those that carry a message. */
const NAMED: ReadonlySet<number> = new Set([PACKET.CMD_REQUEST, PACKET.EVENT_REGISTER, PACKET.EVENT_UNREGISTER, PACKET.EVENT]);
const WITH_MESSAGE: ReadonlySet<number> = new Set([PACKET.CMD_REQUEST, PACKET.CMD_RESPONSE, PACKET.EVENT]);

/** charon's own limit for one frame (VICI_MESSAGE_SIZE_MAX, 512 KiB); it drops larger ones too. */
export const MAX_PACKET_BYTES = 512 * 1024;
/** Deepest section nesting accepted (charon's deepest reply, list-sas, nests 4 levels). */
export const MAX_NESTING = 16;
export const MAX_NAME_BYTES = 0xff;
export const MAX_VALUE_BYTES = 0xffff;

export type ViciCodecReason =
  /** The input ends inside an element, a name, a value or a frame header. */
  | 'truncated'
  /** An element type byte other than 1..6. */
  | 'unknown-element'
  /** An element where it may not be: a key or section inside a list, an item outside one, an unmatched end. */
  | 'misplaced-element'
  /** A section or list still open at the end of the message. */
  | 'unclosed'
  | 'too-deep'
  | 'duplicate-key'
  /** A name that is not valid UTF-8 (in messages) or not printable ASCII (packet names). */
  | 'bad-name'
  | 'name-too-long'
  | 'value-too-long'
  /** Encoding only: something that is neither a string, bytes, a list of those nor a section. */
  | 'bad-value'
  | 'packet-too-large'
  | 'empty-packet'
  | 'unknown-packet-type'
  /** Bytes after a packet that carries no message (or no name where one is required). */
  | 'trailing-bytes'
  | 'missing-name';

export class ViciCodecError extends Error {
  readonly code = 'vici-codec';
  constructor(
    readonly reason: ViciCodecReason,
    /** Byte offset in the message (decodeMessage) or packet (decodePacket) where it went wrong; -1 when encoding. */
    readonly offset: number,
    detail: string,
  ) {
    super(offset >= 0 ? `VICI ${reason} at byte ${offset}: ${detail}` : `VICI ${reason}: ${detail}`);
    this.name = 'ViciCodecError';
  }
}

const utf8 = new TextEncoder();
// fatal: invalid UTF-8 is reported, never replaced; ignoreBOM: a leading U+FEFF is kept, so
// re-encoding a decoded string gives back the same bytes.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Short ASCII text (nearly every name and value charon sends) without a TextDecoder call, which costs microseconds each. */
const ASCII_FAST_PATH_BYTES = 64;

/** bytes[start, end) as text, or null when it is not valid UTF-8. */
function tryUtf8(bytes: Uint8Array, start = 0, end = bytes.length): string | null {
  if (end - start <= ASCII_FAST_PATH_BYTES) {
    let text = '';
    let i = start;
    for (; i < end; i++) {
      const b = bytes[i] ?? 0x80;
      if (b >= 0x80) break;
      text += String.fromCharCode(b);
    }
    if (i === end) return text;
  }
  try {
    return strictUtf8.decode(bytes.subarray(start, end));
  } catch {
    return null;
  }
}

function isSection(v: unknown): v is ViciSection {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function isValue(v: unknown): v is ViciValue {
  return typeof v === 'string' || v instanceof Uint8Array;
}

/** Sections decoded from the wire have no prototype: a key such as `__proto__` or `toString` is plain data. */
function newSection(): ViciSection {
  return Object.create(null) as ViciSection;
}

// ---------- encoding ----------

class ByteWriter {
  private readonly parts: Uint8Array[] = [];
  size = 0;

  byte(b: number): void {
    this.bytes(Uint8Array.of(b));
  }

  u16(n: number): void {
    this.bytes(Uint8Array.of(n >>> 8, n & 0xff));
  }

  bytes(b: Uint8Array): void {
    this.parts.push(b);
    this.size += b.length;
  }

  done(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

function writeName(w: ByteWriter, name: string, where: string): void {
  const b = utf8.encode(name);
  if (b.length > MAX_NAME_BYTES) throw new ViciCodecError('name-too-long', -1, `${where}: name of ${b.length} bytes (at most ${MAX_NAME_BYTES})`);
  w.byte(b.length);
  w.bytes(b);
}

function writeValue(w: ByteWriter, v: ViciValue, where: string): void {
  const b = typeof v === 'string' ? utf8.encode(v) : v;
  if (b.length > MAX_VALUE_BYTES) throw new ViciCodecError('value-too-long', -1, `${where}: value of ${b.length} bytes (at most ${MAX_VALUE_BYTES})`);
  w.u16(b.length);
  w.bytes(b);
}

function writeSection(w: ByteWriter, section: ViciSection, depth: number, path: string): void {
  for (const [key, v] of Object.entries(section)) {
    const where = path ? `${path}.${key}` : key;
    if (isValue(v)) {
      w.byte(ELEMENT.KEY_VALUE);
      writeName(w, key, where);
      writeValue(w, v, where);
    } else if (Array.isArray(v)) {
      w.byte(ELEMENT.LIST_START);
      writeName(w, key, where);
      v.forEach((item: unknown, i) => {
        if (!isValue(item)) throw new ViciCodecError('bad-value', -1, `${where}[${i}]: list items must be strings or bytes`);
        w.byte(ELEMENT.LIST_ITEM);
        writeValue(w, item, `${where}[${i}]`);
      });
      w.byte(ELEMENT.LIST_END);
    } else if (isSection(v)) {
      if (depth + 1 > MAX_NESTING) throw new ViciCodecError('too-deep', -1, `${where}: sections nested deeper than ${MAX_NESTING}`);
      w.byte(ELEMENT.SECTION_START);
      writeName(w, key, where);
      writeSection(w, v, depth + 1, where);
      w.byte(ELEMENT.SECTION_END);
    } else {
      throw new ViciCodecError('bad-value', -1, `${where}: ${typeof v} is not a VICI value, list or section`);
    }
  }
}

/** Encodes a message (the root section's content). Strings go on the wire as UTF-8. */
export function encodeMessage(section: ViciSection): Uint8Array {
  const w = new ByteWriter();
  writeSection(w, section, 0, '');
  return w.done();
}

// ---------- decoding ----------

export interface DecodeOptions {
  /**
   * Every value as bytes. By default a value is a string when its bytes are valid UTF-8 and a
   * Uint8Array otherwise (either way encodeMessage gives back the same bytes).
   */
  bytes?: boolean;
}

class ByteReader {
  offset = 0;

  constructor(
    private readonly data: Uint8Array,
    /** Added to offsets in errors (the message's position inside its packet). */
    private readonly base: number,
  ) {}

  get done(): boolean {
    return this.offset >= this.data.length;
  }

  get at(): number {
    return this.base + this.offset;
  }

  fail(reason: ViciCodecReason, detail: string, offset = this.at): never {
    throw new ViciCodecError(reason, offset, detail);
  }

  /** `what`: the element whose length or content is read (error text is only built on failure). */
  private need(n: number, what: string): void {
    const left = this.data.length - this.offset;
    if (left < n) this.fail('truncated', `${what}: ${n} more bytes needed, ${left} left`);
  }

  u8(what: string): number {
    this.need(1, what);
    const b = this.data[this.offset] ?? 0;
    this.offset += 1;
    return b;
  }

  u16(what: string): number {
    this.need(2, what);
    const n = ((this.data[this.offset] ?? 0) << 8) | (this.data[this.offset + 1] ?? 0);
    this.offset += 2;
    return n;
  }

  /** A copy, so nothing decoded keeps the (possibly large) input alive. */
  take(n: number, what: string): Uint8Array {
    this.need(n, what);
    const b = this.data.slice(this.offset, this.offset + n);
    this.offset += n;
    return b;
  }

  /** The next n bytes as text (null if not UTF-8), consumed either way. */
  text(n: number, what: string): string | null {
    this.need(n, what);
    const text = tryUtf8(this.data, this.offset, this.offset + n);
    this.offset += n;
    return text;
  }

  name(element: string): string {
    const start = this.at;
    const len = this.u8(element);
    const text = this.text(len, element);
    if (text === null) this.fail('bad-name', `${element} name is not valid UTF-8`, start);
    return text;
  }

  value(element: string, asBytes: boolean): ViciValue {
    const len = this.u16(element);
    if (asBytes) return this.take(len, element);
    const text = this.text(len, element);
    if (text !== null) return text;
    this.offset -= len;
    return this.take(len, element);
  }
}

const ELEMENT_NAMES = ['', 'SECTION_START', 'SECTION_END', 'KEY_VALUE', 'LIST_START', 'LIST_ITEM', 'LIST_END'];

type OpenSection = { section: ViciSection; name: string };

function sectionPath(stack: readonly OpenSection[]): string {
  return (
    stack
      .slice(1)
      .map((s) => s.name)
      .join('.') || '(root)'
  );
}

function claim(r: ByteReader, stack: readonly OpenSection[], top: OpenSection, key: string, start: number): void {
  if (Object.hasOwn(top.section, key)) r.fail('duplicate-key', `"${key}" appears twice in ${sectionPath(stack)}`, start);
}

// No closures or template strings are made per element: a 512 KiB message can hold ~170,000 of them.
function decodeWith(r: ByteReader, opts: DecodeOptions): ViciSection {
  const asBytes = opts.bytes === true;
  const root = newSection();
  const stack: OpenSection[] = [{ section: root, name: '' }];
  let list: { items: ViciValue[]; name: string } | null = null;

  while (!r.done) {
    const start = r.at;
    const type = r.u8('element type');
    const top = stack[stack.length - 1];
    if (!top) return r.fail('misplaced-element', 'no open section');
    if (list && type !== ELEMENT.LIST_ITEM && type !== ELEMENT.LIST_END) {
      const elementName = ELEMENT_NAMES[type] ?? `type ${type}`;
      r.fail('misplaced-element', `${elementName} inside list "${list.name}" (only LIST_ITEM or LIST_END may follow)`, start);
    }
    switch (type) {
      case ELEMENT.SECTION_START: {
        const name = r.name('SECTION_START');
        if (stack.length > MAX_NESTING) r.fail('too-deep', `section "${name}" nested deeper than ${MAX_NESTING}`, start);
        claim(r, stack, top, name, start);
        const child = newSection();
        top.section[name] = child;
        stack.push({ section: child, name });
        break;
      }
      case ELEMENT.SECTION_END:
        if (stack.length === 1) r.fail('misplaced-element', 'SECTION_END with no open section', start);
        stack.pop();
        break;
      case ELEMENT.KEY_VALUE: {
        const name = r.name('KEY_VALUE');
        const value = r.value('KEY_VALUE', asBytes);
        claim(r, stack, top, name, start);
        top.section[name] = value;
        break;
      }
      case ELEMENT.LIST_START: {
        const name = r.name('LIST_START');
        claim(r, stack, top, name, start);
        const items: ViciValue[] = [];
        top.section[name] = items;
        list = { items, name };
        break;
      }
      case ELEMENT.LIST_ITEM:
        if (!list) r.fail('misplaced-element', `LIST_ITEM outside a list in ${sectionPath(stack)}`, start);
        list.items.push(r.value('LIST_ITEM', asBytes));
        break;
      case ELEMENT.LIST_END:
        if (!list) r.fail('misplaced-element', `LIST_END with no open list in ${sectionPath(stack)}`, start);
        list = null;
        break;
      default:
        r.fail('unknown-element', `element type ${type}`, start);
    }
  }
  if (list) r.fail('unclosed', `list "${list.name}" is not closed`);
  if (stack.length > 1) r.fail('unclosed', `section ${sectionPath(stack)} is not closed`);
  return root;
}

/** Decodes a message. Throws ViciCodecError on anything malformed. */
export function decodeMessage(bytes: Uint8Array, opts: DecodeOptions = {}): ViciSection {
  return decodeWith(new ByteReader(bytes, 0), opts);
}

// ---------- packets ----------

export interface ViciPacket {
  type: PacketType;
  /** Present on named types (CMD_REQUEST, EVENT_REGISTER, EVENT_UNREGISTER, EVENT). */
  name?: string;
  /** Present on CMD_REQUEST, CMD_RESPONSE and EVENT (an empty message is {}). */
  message?: ViciSection;
}

export function packetTypeName(type: number): string {
  return PACKET_NAMES[type] ?? `type ${type}`;
}

/** One frame: the 4-byte length prefix and the packet. */
export function encodePacket(packet: ViciPacket): Uint8Array {
  const w = new ByteWriter();
  w.byte(packet.type);
  if (NAMED.has(packet.type)) {
    if (packet.name === undefined) throw new ViciCodecError('missing-name', -1, `${packetTypeName(packet.type)} needs a name`);
    if (!/^[\x20-\x7e]*$/.test(packet.name)) throw new ViciCodecError('bad-name', -1, `packet name ${JSON.stringify(packet.name)} is not printable ASCII`);
    writeName(w, packet.name, 'packet');
  } else if (packet.name !== undefined) {
    throw new ViciCodecError('trailing-bytes', -1, `${packetTypeName(packet.type)} carries no name`);
  }
  if (WITH_MESSAGE.has(packet.type)) {
    w.bytes(encodeMessage(packet.message ?? {}));
  } else if (packet.message !== undefined) {
    throw new ViciCodecError('trailing-bytes', -1, `${packetTypeName(packet.type)} carries no message`);
  }
  if (w.size > MAX_PACKET_BYTES) throw new ViciCodecError('packet-too-large', -1, `packet of ${w.size} bytes (at most ${MAX_PACKET_BYTES})`);
  const body = w.done();
  const frame = new Uint8Array(4 + body.length);
  new DataView(frame.buffer).setUint32(0, body.length);
  frame.set(body, 4);
  return frame;
}

/** Decodes one packet (a frame without its length prefix). Offsets in errors count from the type byte. */
export function decodePacket(packet: Uint8Array, opts: DecodeOptions = {}): ViciPacket {
  if (packet.length === 0) throw new ViciCodecError('empty-packet', 0, 'a frame of length 0 has no packet type');
  const r = new ByteReader(packet, 0);
  const type = r.u8('packet type');
  if (type > PACKET.EVENT) r.fail('unknown-packet-type', `packet type ${type}`, 0);
  const out: ViciPacket = { type: type as PacketType };
  if (NAMED.has(type)) {
    const len = r.u8(`${packetTypeName(type)} name length`);
    const raw = r.take(len, `${packetTypeName(type)} name`);
    if (!raw.every((b) => b >= 0x20 && b <= 0x7e)) r.fail('bad-name', `${packetTypeName(type)} name is not printable ASCII`, 1);
    out.name = String.fromCharCode(...raw);
  }
  const rest = packet.subarray(r.offset);
  if (WITH_MESSAGE.has(type)) {
    out.message = decodeWith(new ByteReader(rest, r.offset), opts);
  } else if (rest.length > 0) {
    r.fail('trailing-bytes', `${rest.length} bytes after a ${packetTypeName(type)} packet, which carries no message`);
  }
  return out;
}

/**
 * Splits a byte stream into packets. A frame's length is checked the moment its 4-byte prefix is
 * complete, and its buffer is then allocated once at that exact size, so at most
 * 4 + MAX_PACKET_BYTES bytes are held and each byte is copied once, however the peer slices its
 * writes. After an error the stream is out of step for good: every later push throws the same
 * error (the caller drops the connection).
 */
export class PacketReader {
  private readonly header = new Uint8Array(4);
  private headerFill = 0;
  private body: Uint8Array | null = null;
  private bodyFill = 0;
  private failed: ViciCodecError | null = null;
  private readonly max: number;

  constructor(
    private readonly opts: DecodeOptions & {
      /** Lower limit than MAX_PACKET_BYTES (never higher). */
      maxPacketBytes?: number;
      /** Sees each packet's bytes (the frame without its length prefix) before decoding; used to capture fixtures. */
      onFrame?: (packet: Uint8Array) => void;
    } = {},
  ) {
    this.max = Math.min(opts.maxPacketBytes ?? MAX_PACKET_BYTES, MAX_PACKET_BYTES);
  }

  /** Bytes held for a packet not yet complete. */
  get pendingBytes(): number {
    return this.headerFill + this.bodyFill;
  }

  /** Feeds bytes; returns the packets they complete. Throws ViciCodecError (and keeps throwing it). */
  push(chunk: Uint8Array): ViciPacket[] {
    if (this.failed) throw this.failed;
    try {
      return this.drain(chunk);
    } catch (e) {
      this.body = null;
      this.headerFill = 0;
      this.bodyFill = 0;
      if (e instanceof ViciCodecError) this.failed = e;
      throw e;
    }
  }

  private drain(chunk: Uint8Array): ViciPacket[] {
    const packets: ViciPacket[] = [];
    let o = 0;
    while (o < chunk.length) {
      if (!this.body) {
        const n = Math.min(4 - this.headerFill, chunk.length - o);
        this.header.set(chunk.subarray(o, o + n), this.headerFill);
        this.headerFill += n;
        o += n;
        if (this.headerFill < 4) break;
        const len = new DataView(this.header.buffer).getUint32(0);
        if (len > this.max) throw new ViciCodecError('packet-too-large', 0, `frame announces ${len} bytes (at most ${this.max})`);
        this.body = new Uint8Array(len);
        this.bodyFill = 0;
      }
      const n = Math.min(this.body.length - this.bodyFill, chunk.length - o);
      this.body.set(chunk.subarray(o, o + n), this.bodyFill);
      this.bodyFill += n;
      o += n;
      if (this.bodyFill === this.body.length) {
        const packet = this.body;
        this.body = null;
        this.headerFill = 0;
        this.bodyFill = 0;
        this.opts.onFrame?.(packet);
        packets.push(decodePacket(packet, this.opts));
      }
    }
    return packets;
  }
}
