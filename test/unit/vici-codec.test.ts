// The VICI wire format: round trips, the exact bytes of a hand-encoded message, refusal of every
// kind of malformed input, and the replies captured from a real charon (test/fixtures/vici/).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ELEMENT,
  MAX_NESTING,
  MAX_PACKET_BYTES,
  PACKET,
  PacketReader,
  ViciCodecError,
  decodeMessage,
  decodePacket,
  encodeMessage,
  encodePacket,
  type ViciPacket,
  type ViciSection,
  type ViciValue,
} from '../../electron/helper/drivers/ikev2/vici/codec.js';
import { parseControlLog, parseListConn, parseListSa, parseUpDown } from '../../electron/helper/drivers/ikev2/vici/commands.js';

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));
const bytes = (...parts: (number | number[])[]): Uint8Array => Uint8Array.from(parts.flat());

/** The ViciCodecError `fn` throws (fails the test when it throws nothing or something else). */
function codecError(fn: () => unknown): ViciCodecError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ViciCodecError) return e;
    throw e;
  }
  throw new Error('expected a ViciCodecError, nothing was thrown');
}

describe('VICI messages: round trip', () => {
  it('keeps strings (ASCII, UTF-8, empty), nested sections, lists, empty lists and empty sections', () => {
    const msg: ViciSection = {
      key: 'value',
      empty: '',
      japanese: 'つなぐ接続',
      number: '4500',
      outer: { inner: { deepest: { k: 'v' } }, emptySection: {}, list: ['a', '', 'ü'] },
      emptyList: [],
      emptySection: {},
    };
    expect(decodeMessage(encodeMessage(msg))).toEqual(msg);
  });

  it('keeps binary values byte for byte, 0x00 and 0xff included', () => {
    const blob = Uint8Array.of(0x00, 0xff, 0x80, 0x00, 0xfe, 0x01);
    const msg: ViciSection = { blob, items: [Uint8Array.of(0xff), Uint8Array.of(0x00, 0xc3), 'text'] };
    const out = decodeMessage(encodeMessage(msg));
    // Not valid UTF-8, so they come back as bytes; valid text stays a string.
    expect(out).toEqual(msg);
    expect(out['blob']).toBeInstanceOf(Uint8Array);
  });

  it('gives valid UTF-8 bytes back as a string by default, as bytes with {bytes: true}, and the same wire bytes either way', () => {
    const nulText = Uint8Array.of(0x00, 0x41, 0x00);
    const wire = encodeMessage({ v: nulText, bom: Uint8Array.of(0xef, 0xbb, 0xbf, 0x41) });
    const asText = decodeMessage(wire);
    expect(asText).toEqual({ v: '\u0000A\u0000', bom: '\ufeffA' });
    expect(encodeMessage(asText)).toEqual(wire);
    const asBytes = decodeMessage(wire, { bytes: true });
    expect(asBytes).toEqual({ v: nulText, bom: Uint8Array.of(0xef, 0xbb, 0xbf, 0x41) });
    expect(encodeMessage(asBytes)).toEqual(wire);
  });

  it('accepts the largest value and name, and sections nested to the limit', () => {
    const big = 'x'.repeat(0xffff);
    const name = 'n'.repeat(0xff);
    let nested: ViciSection = { leaf: 'yes' };
    for (let i = 1; i < MAX_NESTING; i++) nested = { [`s${i}`]: nested };
    const msg: ViciSection = { [name]: big, list: [big], top: nested };
    expect(decodeMessage(encodeMessage(msg))).toEqual(msg);
  });

  it('round-trips arbitrary messages', () => {
    const value: fc.Arbitrary<ViciValue> = fc.oneof(fc.string({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }));
    const key = fc.string({ maxLength: 12 });
    const { section } = fc.letrec<{ section: ViciSection }>((tie) => ({
      section: fc.dictionary(key, fc.oneof({ depthSize: 'small' }, value, fc.array(value, { maxLength: 4 }), tie('section')), { maxKeys: 5 }),
    }));
    fc.assert(
      fc.property(section, (msg) => {
        const wire = encodeMessage(msg);
        // Byte-exact: decoding and encoding again reproduces the wire form.
        expect(encodeMessage(decodeMessage(wire))).toEqual(wire);
        expect(encodeMessage(decodeMessage(wire, { bytes: true }))).toEqual(wire);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses to encode what does not fit the format', () => {
    expect(codecError(() => encodeMessage({ v: 'x'.repeat(0x10000) })).reason).toBe('value-too-long');
    expect(codecError(() => encodeMessage({ l: ['x'.repeat(0x10000)] })).reason).toBe('value-too-long');
    expect(codecError(() => encodeMessage({ ['k'.repeat(256)]: 'v' })).reason).toBe('name-too-long');
    let deep: ViciSection = {};
    for (let i = 0; i <= MAX_NESTING; i++) deep = { s: deep };
    expect(codecError(() => encodeMessage(deep)).reason).toBe('too-deep');
    const notAValue = JSON.parse('{"n": 5}') as ViciSection;
    expect(codecError(() => encodeMessage(notAValue)).reason).toBe('bad-value');
    const sectionInList = JSON.parse('{"l": [{"a": "b"}]}') as ViciSection;
    expect(codecError(() => encodeMessage(sectionInList)).reason).toBe('bad-value');
  });
});

describe('VICI messages: exact bytes', () => {
  // Laid out by hand from the README's element description (types 1..6, u8 name lengths,
  // u16 big-endian value lengths), for: name = lab, conn { remote { id = srv }, addrs = [a, bc] }.
  const wire = bytes(
    [ELEMENT.KEY_VALUE, 4, ...ascii('name'), 0, 3, ...ascii('lab')],
    [ELEMENT.SECTION_START, 4, ...ascii('conn')],
    [ELEMENT.SECTION_START, 6, ...ascii('remote')],
    [ELEMENT.KEY_VALUE, 2, ...ascii('id'), 0, 3, ...ascii('srv')],
    [ELEMENT.SECTION_END],
    [ELEMENT.LIST_START, 5, ...ascii('addrs')],
    [ELEMENT.LIST_ITEM, 0, 1, ...ascii('a')],
    [ELEMENT.LIST_ITEM, 0, 2, ...ascii('bc')],
    [ELEMENT.LIST_END],
    [ELEMENT.SECTION_END],
  );
  const msg: ViciSection = { name: 'lab', conn: { remote: { id: 'srv' }, addrs: ['a', 'bc'] } };

  it('encodes and decodes a known message', () => {
    expect(ELEMENT).toEqual({ SECTION_START: 1, SECTION_END: 2, KEY_VALUE: 3, LIST_START: 4, LIST_ITEM: 5, LIST_END: 6 });
    expect(encodeMessage(msg)).toEqual(wire);
    expect(decodeMessage(wire)).toEqual(msg);
  });

  it('frames a named request: u32 length, type, u8 name length, name, message', () => {
    const frame = encodePacket({ type: PACKET.CMD_REQUEST, name: 'list-sas', message: { noblock: 'yes' } });
    expect(frame).toEqual(bytes([0, 0, 0, 24], [0, 8, ...ascii('list-sas')], [3, 7, ...ascii('noblock'), 0, 3, ...ascii('yes')]));
    expect(encodePacket({ type: PACKET.EVENT_REGISTER, name: 'control-log' })).toEqual(bytes([0, 0, 0, 13, 3, 11], ascii('control-log')));
    expect(encodePacket({ type: PACKET.EVENT_CONFIRM })).toEqual(bytes(0, 0, 0, 1, 5));
    expect(encodePacket({ type: PACKET.CMD_RESPONSE, message: {} })).toEqual(bytes(0, 0, 0, 1, 1));
  });

  it('decodes packets of every type', () => {
    const all: ViciPacket[] = [
      { type: PACKET.CMD_REQUEST, name: 'version', message: {} },
      { type: PACKET.CMD_RESPONSE, message: { success: 'yes' } },
      { type: PACKET.CMD_UNKNOWN },
      { type: PACKET.EVENT_REGISTER, name: 'ike-updown' },
      { type: PACKET.EVENT_UNREGISTER, name: 'ike-updown' },
      { type: PACKET.EVENT_CONFIRM },
      { type: PACKET.EVENT_UNKNOWN },
      { type: PACKET.EVENT, name: 'log', message: { msg: 'hello' } },
    ];
    for (const p of all) expect(decodePacket(encodePacket(p).subarray(4))).toEqual(p);
  });

  it('refuses to encode a packet without its name, with a message it cannot carry, or too large', () => {
    expect(codecError(() => encodePacket({ type: PACKET.CMD_REQUEST })).reason).toBe('missing-name');
    expect(codecError(() => encodePacket({ type: PACKET.EVENT_CONFIRM, message: {} })).reason).toBe('trailing-bytes');
    expect(codecError(() => encodePacket({ type: PACKET.EVENT, name: 'ü' })).reason).toBe('bad-name');
    const values = Array.from({ length: 9 }, () => 'x'.repeat(0xffff));
    expect(codecError(() => encodePacket({ type: PACKET.CMD_REQUEST, name: 'big', message: { l: values } })).reason).toBe('packet-too-large');
  });
});

describe('VICI messages: malformed input is refused with what and where', () => {
  const cases: [string, Uint8Array, ViciCodecError['reason'], number][] = [
    ['a name cut short', bytes(3, 5, ...ascii('ke')), 'truncated', 2],
    ['a value length cut short', bytes(3, 1, ...ascii('k'), 0), 'truncated', 3],
    ['a value longer than what is left', bytes(3, 1, ...ascii('k'), 0, 10, ...ascii('abc')), 'truncated', 5],
    ['a list item value longer than what is left', bytes(4, 1, ...ascii('l'), 5, 0xff, 0xff, 1), 'truncated', 6],
    ['an element type 0', bytes(0), 'unknown-element', 0],
    ['an element type 7 after a good element', bytes(3, 1, ...ascii('k'), 0, 1, ...ascii('v'), 7), 'unknown-element', 6],
    ['an element type 0xff', bytes(3, 1, ...ascii('k'), 0, 0, 0xff), 'unknown-element', 5],
    ['a SECTION_END with no open section (trailing bytes)', bytes(3, 1, ...ascii('k'), 0, 0, 2), 'misplaced-element', 5],
    ['a LIST_ITEM outside a list', bytes(5, 0, 1, ...ascii('x')), 'misplaced-element', 0],
    ['a LIST_END outside a list', bytes(6), 'misplaced-element', 0],
    ['a KEY_VALUE inside a list', bytes(4, 1, ...ascii('l'), 3, 1, ...ascii('k'), 0, 0), 'misplaced-element', 3],
    ['a list inside a list', bytes(4, 1, ...ascii('l'), 4, 1, ...ascii('m')), 'misplaced-element', 3],
    ['a section inside a list', bytes(4, 1, ...ascii('l'), 1, 1, ...ascii('s')), 'misplaced-element', 3],
    ['an unclosed list', bytes(4, 1, ...ascii('l'), 5, 0, 0), 'unclosed', 6],
    ['an unclosed section', bytes(1, 1, ...ascii('s'), 3, 1, ...ascii('k'), 0, 0), 'unclosed', 8],
    ['a duplicate key', bytes(3, 1, ...ascii('k'), 0, 0, 4, 1, ...ascii('k'), 6), 'duplicate-key', 5],
    ['a duplicate section', bytes(1, 1, ...ascii('s'), 2, 1, 1, ...ascii('s'), 2), 'duplicate-key', 4],
    ['a name that is not UTF-8', bytes(3, 2, 0xc3, 0x28, 0, 0), 'bad-name', 1],
  ];
  for (const [what, input, reason, offset] of cases) {
    it(`refuses ${what}`, () => {
      const e = codecError(() => decodeMessage(input));
      expect({ reason: e.reason, offset: e.offset }).toEqual({ reason, offset });
      expect(e.message).toContain(`at byte ${offset}`);
    });
  }

  it('refuses sections nested deeper than the limit', () => {
    const deep = bytes(...Array.from({ length: MAX_NESTING + 1 }, () => [1, 1, ...ascii('s')]));
    const e = codecError(() => decodeMessage(deep));
    expect(e.reason).toBe('too-deep');
    expect(e.offset).toBe(MAX_NESTING * 3);
  });

  it('takes hostile key names as plain data', () => {
    const msg = decodeMessage(encodeMessage(JSON.parse('{"__proto__": {"polluted": "yes"}, "constructor": "x", "toString": "y"}') as ViciSection));
    expect(Object.keys(msg)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.getPrototypeOf(msg)).toBeNull();
  });

  it('refuses malformed packets', () => {
    expect(codecError(() => decodePacket(bytes())).reason).toBe('empty-packet');
    expect(codecError(() => decodePacket(bytes(8))).reason).toBe('unknown-packet-type');
    expect(codecError(() => decodePacket(bytes(0xff))).reason).toBe('unknown-packet-type');
    expect(codecError(() => decodePacket(bytes(0))).reason).toBe('truncated');
    expect(codecError(() => decodePacket(bytes(7, 5, ...ascii('lo')))).reason).toBe('truncated');
    expect(codecError(() => decodePacket(bytes(7, 2, 0x0a, 0x41))).reason).toBe('bad-name');
    expect(codecError(() => decodePacket(bytes(5, 0))).reason).toBe('trailing-bytes');
    expect(codecError(() => decodePacket(bytes(2, 1, 2))).reason).toBe('trailing-bytes');
    expect(codecError(() => decodePacket(bytes(3, 3, ...ascii('log'), 1))).reason).toBe('trailing-bytes');
    // An error inside the message counts its offset from the packet's first byte.
    const e = codecError(() => decodePacket(bytes(7, 3, ...ascii('log'), 9)));
    expect({ reason: e.reason, offset: e.offset }).toEqual({ reason: 'unknown-element', offset: 5 });
  });

  it('never throws anything but ViciCodecError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (input) => {
        for (const decode of [() => decodeMessage(input), () => decodePacket(input)]) {
          try {
            decode();
          } catch (e) {
            expect(e).toBeInstanceOf(ViciCodecError);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('VICI PacketReader', () => {
  const frames = [
    encodePacket({ type: PACKET.EVENT_CONFIRM }),
    encodePacket({ type: PACKET.EVENT, name: 'control-log', message: { msg: 'hello', level: '1' } }),
    encodePacket({ type: PACKET.CMD_RESPONSE, message: { success: 'yes' } }),
  ];
  const stream = bytes(...frames.map((f) => [...f]));

  it('splits a stream however it is sliced (whole, byte by byte)', () => {
    const whole = new PacketReader().push(stream);
    expect(whole.map((p) => p.type)).toEqual([PACKET.EVENT_CONFIRM, PACKET.EVENT, PACKET.CMD_RESPONSE]);
    const reader = new PacketReader();
    const oneByOne: ViciPacket[] = [];
    for (const b of stream) oneByOne.push(...reader.push(Uint8Array.of(b)));
    expect(oneByOne).toEqual(whole);
    expect(reader.pendingBytes).toBe(0);
  });

  it('holds an unfinished packet and says how many bytes it holds', () => {
    const reader = new PacketReader();
    expect(reader.push(stream.subarray(0, 7))).toHaveLength(1);
    expect(reader.pendingBytes).toBe(2);
  });

  it('refuses an oversized frame from its length prefix alone, and stays refused', () => {
    const reader = new PacketReader();
    const len = MAX_PACKET_BYTES + 1;
    const e = codecError(() => reader.push(bytes(len >>> 24, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff)));
    expect(e.reason).toBe('packet-too-large');
    expect(reader.pendingBytes).toBe(0);
    expect(codecError(() => reader.push(frames[0] ?? bytes())).reason).toBe('packet-too-large');
    // The largest allowed announcement is accepted (and waits for its bytes).
    const ok = new PacketReader();
    expect(ok.push(bytes(0x00, 0x08, 0x00, 0x00))).toEqual([]);
    expect(ok.pendingBytes).toBe(4);
  });

  it('honours a lower limit and refuses a zero-length frame', () => {
    expect(codecError(() => new PacketReader({ maxPacketBytes: 10 }).push(encodePacket({ type: PACKET.EVENT, name: 'x'.repeat(20) }))).reason).toBe(
      'packet-too-large',
    );
    expect(codecError(() => new PacketReader().push(bytes(0, 0, 0, 0))).reason).toBe('empty-packet');
  });
});

describe('VICI replies captured from charon 5.9.8 (test/fixtures/vici)', () => {
  const fixture = (name: string) => new Uint8Array(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'vici', `${name}.bin`)));
  /** Every packet in a fixture; each one must re-encode to exactly the bytes charon sent. */
  const packets = (name: string): ViciPacket[] => {
    const raw: Uint8Array[] = [];
    const out = new PacketReader({ onFrame: (p) => raw.push(p) }).push(fixture(name));
    out.forEach((p, i) => expect(encodePacket(p).subarray(4)).toEqual(raw[i]));
    return out;
  };
  const only = (name: string): ViciPacket => {
    const ps = packets(name);
    expect(ps).toHaveLength(1);
    const [p] = ps;
    if (!p) throw new Error('no packet');
    return p;
  };
  /** The shape of a streamed command: confirm, events, response, confirm. */
  const streamed = (name: string, event: string) => {
    const ps = packets(name);
    expect(ps[0]?.type).toBe(PACKET.EVENT_CONFIRM);
    expect(ps.at(-1)?.type).toBe(PACKET.EVENT_CONFIRM);
    const response = ps.at(-2);
    expect(response?.type).toBe(PACKET.CMD_RESPONSE);
    const events = ps.slice(1, -2);
    for (const e of events) expect({ type: e.type, name: e.name }).toEqual({ type: PACKET.EVENT, name: event });
    return { events: events.map((e) => e.message ?? {}), response: response?.message ?? {} };
  };

  it('version', () => {
    const p = only('version');
    expect(p.type).toBe(PACKET.CMD_RESPONSE);
    expect(p.message).toMatchObject({ daemon: 'charon', version: '5.9.8', sysname: 'Linux', machine: 'x86_64' });
  });

  it('error replies: success = no with errmsg, CMD_UNKNOWN, EVENT_UNKNOWN', () => {
    expect(only('load-conn-error').message).toEqual({ success: 'no', errmsg: 'invalid value for: auth, config discarded' });
    expect(only('cmd-unknown')).toEqual({ type: PACKET.CMD_UNKNOWN });
    expect(only('event-unknown')).toEqual({ type: PACKET.EVENT_UNKNOWN });
    const { events, response } = streamed('initiate-error', 'control-log');
    expect(events).toEqual([]);
    expect(response).toEqual({ success: 'no', errmsg: "CHILD_SA config 'no-such-child' not found" });
  });

  it('initiate: a control-log stream then success', () => {
    const { events, response } = streamed('initiate', 'control-log');
    expect(response).toEqual({ success: 'yes' });
    const logs = events.map(parseControlLog);
    expect(logs.length).toBeGreaterThan(10);
    for (const l of logs) expect(l).toMatchObject({ group: expect.stringMatching(/^[A-Z]{3}$/), ikeSaName: 'lab', ikeSaUniqueId: '1' });
    expect(logs[0]).toMatchObject({ level: 0, msg: 'initiating IKE_SA lab[1] to 198.18.1.1' });
    expect(logs.at(-1)?.msg).toMatch(/^CHILD_SA lab\{1\} established with SPIs [0-9a-f]{8}_i [0-9a-f]{8}_o and TS 198\.18\.10\.1\/32 === 198\.18\.2\.0\/24$/);
    expect(logs.map((l) => l?.msg)).toContain('installing new virtual IP 198.18.10.1');
  });

  it('list-sas: the established SA with its virtual IP and counters', () => {
    const { events, response } = streamed('list-sas', 'list-sa');
    expect(response).toEqual({});
    expect(events).toHaveLength(1);
    const sas = events.flatMap(parseListSa);
    expect(sas).toHaveLength(1);
    expect(sas[0]).toMatchObject({
      name: 'lab',
      uniqueId: '1',
      version: 2,
      state: 'ESTABLISHED',
      localHost: '198.18.1.2',
      remoteHost: '198.18.1.1',
      remotePort: 4500,
      localId: 'client@lab.test',
      remoteId: 'server.lab.test',
      initiator: true,
      localVips: ['198.18.10.1'],
      establishedSeconds: 0,
    });
    expect(sas[0]?.children).toEqual([
      {
        key: 'lab-1',
        name: 'lab',
        uniqueId: '1',
        state: 'INSTALLED',
        mode: 'TUNNEL',
        protocol: 'ESP',
        encap: true,
        bytesIn: 84,
        bytesOut: 84,
        packetsIn: 1,
        packetsOut: 1,
        useInSeconds: 0,
        useOutSeconds: 0,
        installSeconds: 0,
        localTs: ['198.18.10.1/32'],
        remoteTs: ['198.18.2.0/24'],
      },
    ]);
  });

  it('list-conns and terminate', () => {
    const conns = streamed('list-conns', 'list-conn').events.flatMap(parseListConn);
    expect(conns).toEqual([{ name: 'lab', version: 'IKEv2', localAddrs: ['%any'], remoteAddrs: ['198.18.1.1'], children: ['lab'] }]);
    const t = streamed('terminate', 'control-log');
    expect(t.response).toEqual({ success: 'yes', matches: '1', terminated: '1' });
    expect(t.events.map((e) => parseControlLog(e)?.msg).at(-1)).toBe('IKE_SA deleted');
  });

  it('ike-updown / child-updown: up, then down (no up key)', () => {
    const ps = packets('updown-events');
    expect(ps.slice(0, 2).map((p) => p.type)).toEqual([PACKET.EVENT_CONFIRM, PACKET.EVENT_CONFIRM]);
    const evs = ps.slice(2).map((p) => ({ name: p.name, ...parseUpDown(p.message ?? {}) }));
    expect(evs.map((e) => [e.name, e.up])).toEqual([
      ['ike-updown', true],
      ['child-updown', true],
      ['ike-updown', false],
      ['child-updown', false],
    ]);
    expect(evs[0]?.sas[0]).toMatchObject({ name: 'lab', state: 'ESTABLISHED', localVips: ['198.18.10.1'], children: [] });
    expect(evs[1]?.sas[0]?.children.map((c) => [c.name, c.state])).toEqual([['lab', 'INSTALLED']]);
    expect(evs[2]?.sas[0]).toMatchObject({ state: 'DELETING', establishedSeconds: null });
  });
});
