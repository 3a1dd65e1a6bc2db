import {
  __export
} from "./chunks/chunk-WSFCRVEQ.js";

// src/version.ts
var PROTOCOL_VERSION = 2;

// src/sdk/client.ts
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";

// src/gen/tickwire_pb.ts
var tickwire_pb_exports = {};
__export(tickwire_pb_exports, {
  AckSchema: () => AckSchema,
  ClientFrameSchema: () => ClientFrameSchema,
  CloseCode: () => CloseCode,
  CloseCodeSchema: () => CloseCodeSchema,
  DisconnectSchema: () => DisconnectSchema,
  EntityFieldSchema: () => EntityFieldSchema,
  EntityKindSchema: () => EntityKindSchema,
  EventSchema: () => EventSchema,
  HelloSchema: () => HelloSchema,
  InputFieldSchema: () => InputFieldSchema,
  InputFill: () => InputFill,
  InputFillSchema: () => InputFillSchema,
  InputSchema: () => InputSchema,
  JoinSchema: () => JoinSchema,
  LeaveSchema: () => LeaveSchema,
  MatchResultSchema: () => MatchResultSchema,
  MessageSchema: () => MessageSchema,
  PingSchema: () => PingSchema,
  PlayerResultSchema: () => PlayerResultSchema,
  PongSchema: () => PongSchema,
  ProtocolVersion: () => ProtocolVersion,
  ProtocolVersionSchema: () => ProtocolVersionSchema,
  ServerFrameSchema: () => ServerFrameSchema,
  SnapshotSchema: () => SnapshotSchema,
  WelcomeSchema: () => WelcomeSchema,
  file_tickwire: () => file_tickwire
});
import { enumDesc, fileDesc, messageDesc } from "@bufbuild/protobuf/codegenv2";
var file_tickwire = /* @__PURE__ */ fileDesc("Cg50aWNrd2lyZS5wcm90bxILdGlja3dpcmUudjEikwIKC0NsaWVudEZyYW1lEiMKBWhlbGxvGAEgASgLMhIudGlja3dpcmUudjEuSGVsbG9IABIhCgRqb2luGAIgASgLMhEudGlja3dpcmUudjEuSm9pbkgAEiMKBWlucHV0GAMgASgLMhIudGlja3dpcmUudjEuSW5wdXRIABIfCgNhY2sYBCABKAsyEC50aWNrd2lyZS52MS5BY2tIABIhCgRwaW5nGAUgASgLMhEudGlja3dpcmUudjEuUGluZ0gAEiMKBWxlYXZlGAYgASgLMhIudGlja3dpcmUudjEuTGVhdmVIABInCgdtZXNzYWdlGAcgASgLMhQudGlja3dpcmUudjEuTWVzc2FnZUgAQgUKA21zZyLHAQoFSGVsbG8SNgoQcHJvdG9jb2xfdmVyc2lvbhgBIAEoDjIcLnRpY2t3aXJlLnYxLlByb3RvY29sVmVyc2lvbhIOCgZjbGllbnQYAiABKAkSOgoUbWluX3Byb3RvY29sX3ZlcnNpb24YAyABKA4yHC50aWNrd2lyZS52MS5Qcm90b2NvbFZlcnNpb24SOgoUbWF4X3Byb3RvY29sX3ZlcnNpb24YBCABKA4yHC50aWNrd2lyZS52MS5Qcm90b2NvbFZlcnNpb24icgoESm9pbhIUCgpqb2luX3Rva2VuGAEgASgJSAASFgoMcmVzdW1lX3Rva2VuGAIgASgMSAASDgoEbW9kZRgDIAEoCUgAEgwKBG5hbWUYBCABKAkSFAoMcGxheWVyX3Rva2VuGAUgASgJQggKBnRhcmdldCJuCgVJbnB1dBILCgNzZXEYASABKA0SDgoGdmFsdWVzGAIgAygREhAKCGFja190aWNrGAMgASgNEhMKC3JlbmRlcl90aWNrGAQgASgNEgwKBHRpY2sYBSABKA0SEwoLcmVuZGVyX2ZyYWMYBiABKA0iEwoDQWNrEgwKBHRpY2sYASABKA0iHgoEUGluZxIWCg5jbGllbnRfdGltZV91cxgBIAEoBCIHCgVMZWF2ZSI1CgdNZXNzYWdlEgwKBHR5cGUYASABKAkSDwoHcGF5bG9hZBgCIAEoDBILCgNzZXEYAyABKA0iwAIKC1NlcnZlckZyYW1lEicKB3dlbGNvbWUYASABKAsyFC50aWNrd2lyZS52MS5XZWxjb21lSAASKQoIc25hcHNob3QYAiABKAsyFS50aWNrd2lyZS52MS5TbmFwc2hvdEgAEiMKBWV2ZW50GAMgASgLMhIudGlja3dpcmUudjEuRXZlbnRIABIhCgRwb25nGAQgASgLMhEudGlja3dpcmUudjEuUG9uZ0gAEi0KCmRpc2Nvbm5lY3QYBSABKAsyFy50aWNrd2lyZS52MS5EaXNjb25uZWN0SAASMAoMbWF0Y2hfcmVzdWx0GAYgASgLMhgudGlja3dpcmUudjEuTWF0Y2hSZXN1bHRIABIWCg5sYXN0X2lucHV0X3NlcRgPIAEoDRIVCg1pbnB1dF9sZWFkX3VzGA4gASgRQgUKA21zZyLBBQoHV2VsY29tZRI2ChBwcm90b2NvbF92ZXJzaW9uGAEgASgOMhwudGlja3dpcmUudjEuUHJvdG9jb2xWZXJzaW9uEhEKCXBsYXllcl9pZBgCIAEoDRIPCgdyb29tX2lkGAMgASgJEhIKCnJvb21fZXBvY2gYBCABKAQSEQoJdGlja19yYXRlGAUgASgNEhUKDXNuYXBzaG90X3JhdGUYBiABKA0SFAoMcmVzdW1lX3Rva2VuGAcgASgMEhAKCGdyYWNlX21zGAggASgNEgwKBHRpY2sYCSABKA0SDwoHcmVzdW1lZBgKIAEoCBIWCg5sYXN0X2lucHV0X3NlcRgLIAEoDRIMCgRtb2RlGAwgASgJEiYKBWtpbmRzGA0gAygLMhcudGlja3dpcmUudjEuRW50aXR5S2luZBImCgVpbnB1dBgOIAMoCzIXLnRpY2t3aXJlLnYxLklucHV0RmllbGQSMAoGcGFyYW1zGA8gAygLMiAudGlja3dpcmUudjEuV2VsY29tZS5QYXJhbXNFbnRyeRIUCgxoZWFydGJlYXRfbXMYECABKA0SFQoNaGFzaF9pbnRlcnZhbBgRIAEoDRIqCgppbnB1dF9maWxsGBIgASgOMhYudGlja3dpcmUudjEuSW5wdXRGaWxsEhQKDGlucHV0X3dpbmRvdxgTIAEoDRIVCg1tYXhfcmV3aW5kX21zGBQgASgNEg8KB3VzZXJfaWQYFSABKAkSEAoIdmVyaWZpZWQYFiABKAgSGQoRbWF4X21lc3NhZ2VfYnl0ZXMYKCABKA0SFAoMbWVzc2FnZV9yYXRlGCkgASgNEhUKDW1lc3NhZ2VfYnVyc3QYKiABKA0SDQoFbm9kZXMYKyADKAkaLQoLUGFyYW1zRW50cnkSCwoDa2V5GAEgASgJEg0KBXZhbHVlGAIgASgROgI4ASJeCgpFbnRpdHlLaW5kEgoKAmlkGAEgASgNEgwKBG5hbWUYAiABKAkSKAoGZmllbGRzGAMgAygLMhgudGlja3dpcmUudjEuRW50aXR5RmllbGQSDAoEZGF0YRgEIAEoCCJPCgtFbnRpdHlGaWVsZBIMCgRuYW1lGAEgASgJEhIKCnJhdGVfZmllbGQYAiABKA0SDAoEd3JhcBgDIAEoDRIQCgh0ZWxlcG9ydBgEIAEoDSI0CgpJbnB1dEZpZWxkEgwKBG5hbWUYASABKAkSCwoDbWluGAIgASgREgsKA21heBgDIAEoESJpCghTbmFwc2hvdBIMCgR0aWNrGAEgASgNEhUKDWJhc2VsaW5lX3RpY2sYAiABKA0SEAoIZW50aXRpZXMYAyABKAwSFwoKc3RhdGVfaGFzaBgEIAEoB0gAiAEBQg0KC19zdGF0ZV9oYXNoInUKBUV2ZW50EgwKBHRpY2sYASABKA0SDAoEdHlwZRgCIAEoCRIRCglwbGF5ZXJfaWQYAyABKA0SDAoEYXJncxgEIAMoERIMCgR0ZXh0GAUgASgJEg8KB3BheWxvYWQYBiABKAwSEAoIdGFyZ2V0ZWQYByABKAgiSwoEUG9uZxIWCg5jbGllbnRfdGltZV91cxgBIAEoBBIWCg5zZXJ2ZXJfdGltZV91cxgCIAEoBBITCgtzZXJ2ZXJfdGljaxgDIAEoDSI9CgpEaXNjb25uZWN0EgwKBGNvZGUYASABKA0SDgoGcmVhc29uGAIgASgJEhEKCXJlY29ubmVjdBgDIAEoCCJXCgtNYXRjaFJlc3VsdBIOCgZyZWFzb24YASABKAkSDAoEdGljaxgCIAEoDRIqCgdwbGF5ZXJzGAMgAygLMhkudGlja3dpcmUudjEuUGxheWVyUmVzdWx0Im8KDFBsYXllclJlc3VsdBIRCglwbGF5ZXJfaWQYASABKA0SDAoEbmFtZRgCIAEoCRINCgVzY29yZRgDIAEoERIMCgRyYW5rGAQgASgNEg8KB3VzZXJfaWQYBSABKAkSEAoIdmVyaWZpZWQYBiABKAgqYwoPUHJvdG9jb2xWZXJzaW9uEiAKHFBST1RPQ09MX1ZFUlNJT05fVU5TUEVDSUZJRUQQABIWChJQUk9UT0NPTF9WRVJTSU9OXzEQARIWChJQUk9UT0NPTF9WRVJTSU9OXzIQAio6CglJbnB1dEZpbGwSFQoRSU5QVVRfRklMTF9SRVBFQVQQABIWChJJTlBVVF9GSUxMX05FVVRSQUwQASqpBQoJQ2xvc2VDb2RlEhoKFkNMT1NFX0NPREVfVU5TUEVDSUZJRUQQABIVChBDTE9TRV9HT0lOR19BV0FZEOkHEhkKFENMT1NFX1BST1RPQ09MX0VSUk9SEOoHEhsKFkNMT1NFX1VOU1VQUE9SVEVEX0RBVEEQ6wcSGgoVQ0xPU0VfSU5WQUxJRF9QQVlMT0FEEO8HEhoKFUNMT1NFX01FU1NBR0VfVE9PX0JJRxDxBxIZChRDTE9TRV9JTlRFUk5BTF9FUlJPUhDzBxIYChNDTE9TRV9TTE9XX0NPTlNVTUVSEKAfEhwKF0NMT1NFX0hFQVJUQkVBVF9USU1FT1VUEKEfEhYKEUNMT1NFX1NFUlZFUl9CVVNZEKIfEhAKC0NMT1NFX01PVkVEEKMfEhUKEENMT1NFX1JFQ09WRVJJTkcQpB8SFAoPQ0xPU0VfQkFEX0ZSQU1FEJQjEh4KGUNMT1NFX1VOU1VQUE9SVEVEX1ZFUlNJT04QlSMSHAoXQ0xPU0VfSEFORFNIQUtFX1RJTUVPVVQQliMSFQoQQ0xPU0VfU1VQRVJTRURFRBCXIxIYChNDTE9TRV9JTlZBTElEX1RPS0VOEJgjEhkKFENMT1NFX1JFU1VNRV9FWFBJUkVEEJkjEhkKFENMT1NFX1JPT01fTk9UX0ZPVU5EEJojEhQKD0NMT1NFX1JPT01fRlVMTBCbIxIXChJDTE9TRV9SQVRFX0xJTUlURUQQnCMSFQoQQ0xPU0VfUk9PTV9FTkRFRBCdIxIWChFDTE9TRV9ST09NX0ZBSUxFRBCeIxIPCgpDTE9TRV9MRUZUEJ8jEhoKFUNMT1NFX1VOQVVUSEVOVElDQVRFRBCgIxIfChpDTE9TRV9QTEFZRVJfVE9LRU5fRVhQSVJFRBChI0IqWihnaXRodWIuY29tL3RpY2t3aXJlL3RpY2t3aXJlL3Byb3RvO3Byb3RvYgZwcm90bzM");
var ClientFrameSchema = /* @__PURE__ */ messageDesc(file_tickwire, 0);
var HelloSchema = /* @__PURE__ */ messageDesc(file_tickwire, 1);
var JoinSchema = /* @__PURE__ */ messageDesc(file_tickwire, 2);
var InputSchema = /* @__PURE__ */ messageDesc(file_tickwire, 3);
var AckSchema = /* @__PURE__ */ messageDesc(file_tickwire, 4);
var PingSchema = /* @__PURE__ */ messageDesc(file_tickwire, 5);
var LeaveSchema = /* @__PURE__ */ messageDesc(file_tickwire, 6);
var MessageSchema = /* @__PURE__ */ messageDesc(file_tickwire, 7);
var ServerFrameSchema = /* @__PURE__ */ messageDesc(file_tickwire, 8);
var WelcomeSchema = /* @__PURE__ */ messageDesc(file_tickwire, 9);
var EntityKindSchema = /* @__PURE__ */ messageDesc(file_tickwire, 10);
var EntityFieldSchema = /* @__PURE__ */ messageDesc(file_tickwire, 11);
var InputFieldSchema = /* @__PURE__ */ messageDesc(file_tickwire, 12);
var SnapshotSchema = /* @__PURE__ */ messageDesc(file_tickwire, 13);
var EventSchema = /* @__PURE__ */ messageDesc(file_tickwire, 14);
var PongSchema = /* @__PURE__ */ messageDesc(file_tickwire, 15);
var DisconnectSchema = /* @__PURE__ */ messageDesc(file_tickwire, 16);
var MatchResultSchema = /* @__PURE__ */ messageDesc(file_tickwire, 17);
var PlayerResultSchema = /* @__PURE__ */ messageDesc(file_tickwire, 18);
var ProtocolVersion = /* @__PURE__ */ ((ProtocolVersion2) => {
  ProtocolVersion2[ProtocolVersion2["PROTOCOL_VERSION_UNSPECIFIED"] = 0] = "PROTOCOL_VERSION_UNSPECIFIED";
  ProtocolVersion2[ProtocolVersion2["PROTOCOL_VERSION_1"] = 1] = "PROTOCOL_VERSION_1";
  ProtocolVersion2[ProtocolVersion2["PROTOCOL_VERSION_2"] = 2] = "PROTOCOL_VERSION_2";
  return ProtocolVersion2;
})(ProtocolVersion || {});
var ProtocolVersionSchema = /* @__PURE__ */ enumDesc(file_tickwire, 0);
var InputFill = /* @__PURE__ */ ((InputFill2) => {
  InputFill2[InputFill2["REPEAT"] = 0] = "REPEAT";
  InputFill2[InputFill2["NEUTRAL"] = 1] = "NEUTRAL";
  return InputFill2;
})(InputFill || {});
var InputFillSchema = /* @__PURE__ */ enumDesc(file_tickwire, 1);
var CloseCode = /* @__PURE__ */ ((CloseCode2) => {
  CloseCode2[CloseCode2["CLOSE_CODE_UNSPECIFIED"] = 0] = "CLOSE_CODE_UNSPECIFIED";
  CloseCode2[CloseCode2["CLOSE_GOING_AWAY"] = 1001] = "CLOSE_GOING_AWAY";
  CloseCode2[CloseCode2["CLOSE_PROTOCOL_ERROR"] = 1002] = "CLOSE_PROTOCOL_ERROR";
  CloseCode2[CloseCode2["CLOSE_UNSUPPORTED_DATA"] = 1003] = "CLOSE_UNSUPPORTED_DATA";
  CloseCode2[CloseCode2["CLOSE_INVALID_PAYLOAD"] = 1007] = "CLOSE_INVALID_PAYLOAD";
  CloseCode2[CloseCode2["CLOSE_MESSAGE_TOO_BIG"] = 1009] = "CLOSE_MESSAGE_TOO_BIG";
  CloseCode2[CloseCode2["CLOSE_INTERNAL_ERROR"] = 1011] = "CLOSE_INTERNAL_ERROR";
  CloseCode2[CloseCode2["CLOSE_SLOW_CONSUMER"] = 4e3] = "CLOSE_SLOW_CONSUMER";
  CloseCode2[CloseCode2["CLOSE_HEARTBEAT_TIMEOUT"] = 4001] = "CLOSE_HEARTBEAT_TIMEOUT";
  CloseCode2[CloseCode2["CLOSE_SERVER_BUSY"] = 4002] = "CLOSE_SERVER_BUSY";
  CloseCode2[CloseCode2["CLOSE_MOVED"] = 4003] = "CLOSE_MOVED";
  CloseCode2[CloseCode2["CLOSE_RECOVERING"] = 4004] = "CLOSE_RECOVERING";
  CloseCode2[CloseCode2["CLOSE_BAD_FRAME"] = 4500] = "CLOSE_BAD_FRAME";
  CloseCode2[CloseCode2["CLOSE_UNSUPPORTED_VERSION"] = 4501] = "CLOSE_UNSUPPORTED_VERSION";
  CloseCode2[CloseCode2["CLOSE_HANDSHAKE_TIMEOUT"] = 4502] = "CLOSE_HANDSHAKE_TIMEOUT";
  CloseCode2[CloseCode2["CLOSE_SUPERSEDED"] = 4503] = "CLOSE_SUPERSEDED";
  CloseCode2[CloseCode2["CLOSE_INVALID_TOKEN"] = 4504] = "CLOSE_INVALID_TOKEN";
  CloseCode2[CloseCode2["CLOSE_RESUME_EXPIRED"] = 4505] = "CLOSE_RESUME_EXPIRED";
  CloseCode2[CloseCode2["CLOSE_ROOM_NOT_FOUND"] = 4506] = "CLOSE_ROOM_NOT_FOUND";
  CloseCode2[CloseCode2["CLOSE_ROOM_FULL"] = 4507] = "CLOSE_ROOM_FULL";
  CloseCode2[CloseCode2["CLOSE_RATE_LIMITED"] = 4508] = "CLOSE_RATE_LIMITED";
  CloseCode2[CloseCode2["CLOSE_ROOM_ENDED"] = 4509] = "CLOSE_ROOM_ENDED";
  CloseCode2[CloseCode2["CLOSE_ROOM_FAILED"] = 4510] = "CLOSE_ROOM_FAILED";
  CloseCode2[CloseCode2["CLOSE_LEFT"] = 4511] = "CLOSE_LEFT";
  CloseCode2[CloseCode2["CLOSE_UNAUTHENTICATED"] = 4512] = "CLOSE_UNAUTHENTICATED";
  CloseCode2[CloseCode2["CLOSE_PLAYER_TOKEN_EXPIRED"] = 4513] = "CLOSE_PLAYER_TOKEN_EXPIRED";
  return CloseCode2;
})(CloseCode || {});
var CloseCodeSchema = /* @__PURE__ */ enumDesc(file_tickwire, 2);

// src/sdk/emitter.ts
var Emitter = class {
  listeners = /* @__PURE__ */ new Map();
  /** Adds a listener and returns a function that removes it. */
  on(type, fn) {
    let set = this.listeners.get(type);
    if (!set) {
      set = /* @__PURE__ */ new Set();
      this.listeners.set(type, set);
    }
    set.add(fn);
    return () => {
      set.delete(fn);
    };
  }
  /** Calls every listener of type with payload; a throwing listener does not stop the others. */
  emit(type, payload) {
    const set = this.listeners.get(type);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        fn(payload);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
};

// src/sdk/snapcodec.ts
var MAX_ENTITIES = 65536;
var MAX_FIELDS = 32;
var MAX_DATA = 32;
var EMPTY_WORLD = Object.freeze({ tick: 0, entities: Object.freeze([]) });
var SnapDecodeError = class extends Error {
  constructor(message) {
    super("snapcodec: corrupt snapshot: " + message);
    this.name = "SnapDecodeError";
  }
};
var Reader = class {
  constructor(b, end = b.length) {
    this.b = b;
    this.end = end;
  }
  b;
  end;
  off = 0;
  uvarint() {
    let v = 0;
    for (let s = 0; s < 5; s++) {
      if (this.off >= this.end) throw new SnapDecodeError(`truncated at byte ${this.off}`);
      const c = this.b[this.off++];
      v += (c & 127) * 2 ** (7 * s);
      if (c < 128) {
        if (v > 4294967295) throw new SnapDecodeError(`varint above 2^32-1 at byte ${this.off}`);
        return v;
      }
    }
    throw new SnapDecodeError(`varint longer than 5 bytes at byte ${this.off}`);
  }
  /** A mask: at most 5 bytes, its value may exceed 2^32-1 (the caller checks it against the kind's highest mask). */
  mask() {
    let v = 0;
    for (let s = 0; s < 5; s++) {
      if (this.off >= this.end) throw new SnapDecodeError(`truncated at byte ${this.off}`);
      const c = this.b[this.off++];
      v += (c & 127) * 2 ** (7 * s);
      if (c < 128) return v;
    }
    throw new SnapDecodeError(`varint longer than 5 bytes at byte ${this.off}`);
  }
  /** A byte string: its length, then its bytes (a copy). */
  data() {
    const n = this.uvarint();
    if (n > MAX_DATA) throw new SnapDecodeError(`${n} data bytes (max ${MAX_DATA})`);
    if (n > this.end - this.off) throw new SnapDecodeError(`truncated data at byte ${this.off}`);
    const d = this.b.slice(this.off, this.off + n);
    this.off += n;
    return d;
  }
};
function bit(mask, k) {
  return k < 31 ? (mask >>> 0 & 1 << k) !== 0 : Math.floor(mask / 2 ** k) % 2 === 1;
}
function sameBytes(a, b) {
  const x = a ?? EMPTY_BYTES;
  const y = b ?? EMPTY_BYTES;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
var EMPTY_BYTES = new Uint8Array(0);
function zigzag(v) {
  return (v << 1 ^ v >> 31) >>> 0;
}
function unzigzag(u) {
  return u >>> 1 ^ -(u & 1);
}
function appendMask(out, v) {
  while (v >= 128) {
    out.push(v % 128 | 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
}
function appendUvarint(out, v) {
  v >>>= 0;
  while (v >= 128) {
    out.push(v & 127 | 128);
    v >>>= 7;
  }
  out.push(v);
}
var SnapCodec = class {
  kinds = new Array(256);
  /** Builds a codec from the entity kinds of a Welcome; throws on a kind the engine could never send. */
  constructor(kinds) {
    for (const k of kinds) {
      if (!Number.isInteger(k.id) || k.id < 0 || k.id > 255) throw new Error(`snapcodec: kind id ${k.id} out of range`);
      if (this.kinds[k.id]) throw new Error(`snapcodec: duplicate kind id ${k.id}`);
      if (k.fields.length > MAX_FIELDS) throw new Error(`snapcodec: kind ${k.id} has ${k.fields.length} fields`);
      const rate = new Int8Array(k.fields.length).fill(-1);
      k.fields.forEach((f, i) => {
        if (f.rateField > k.fields.length) throw new Error(`snapcodec: kind ${k.id} field ${f.name}: bad rate field`);
        if (f.rateField > 0) rate[i] = f.rateField - 1;
      });
      const hasData = k.data === true;
      this.kinds[k.id] = {
        id: k.id,
        name: k.name,
        nFields: k.fields.length,
        rate,
        hasData,
        maxMask: 2 ** (1 + k.fields.length + (hasData ? 1 : 0)) - 1,
        fieldNames: k.fields.map((f) => f.name)
      };
    }
  }
  /** Reports whether the kind's entities carry a byte string. */
  hasData(kind) {
    return this.kinds[kind]?.hasData ?? false;
  }
  /** Reports whether the schema has the kind. */
  knownKind(kind) {
    return this.kinds[kind] !== void 0;
  }
  /** The kind's name, or undefined for an unknown kind. */
  kindName(kind) {
    return this.kinds[kind]?.name;
  }
  /** The index of a kind's field by name, or -1. */
  fieldIndex(kind, name) {
    return this.kinds[kind]?.fieldNames.indexOf(name) ?? -1;
  }
  /** The id of the kind with this name, or -1. */
  kindId(name) {
    for (const k of this.kinds) if (k && k.name === name) return k.id;
    return -1;
  }
  /**
   * Decodes `body`, a delta at `tick` against `base` (the empty world when tick 0), and returns the new world.
   * Throws SnapDecodeError on any malformed or inconsistent input; never returns a partial world.
   */
  apply(base, tick, body) {
    const bents = base.tick !== 0 ? base.entities : EMPTY_WORLD.entities;
    const dt = base.tick !== 0 ? tick - base.tick | 0 : 0;
    const ents = [];
    const r = new Reader(body);
    const nRemoved = r.uvarint();
    if (nRemoved > bents.length) throw new SnapDecodeError(`${nRemoved} removed from a baseline of ${bents.length}`);
    const remStart = r.off;
    let prev = 0;
    for (let k = 0; k < nRemoved; k++) {
      const g = r.uvarint();
      if (k > 0 && g === 0) throw new SnapDecodeError("removed ids not ascending");
      prev += g;
      if (prev > 4294967295) throw new SnapDecodeError("removed id overflows");
    }
    const rem = new Reader(body, r.off);
    rem.off = remStart;
    let remLeft = nRemoved;
    let remID = 0;
    let hasRem = false;
    const nextRem = () => {
      hasRem = remLeft > 0;
      if (!hasRem) return;
      remID += rem.uvarint();
      remLeft--;
    };
    nextRem();
    let i = 0;
    const copyBaseBelow = (limit) => {
      while (i < bents.length && bents[i].id < limit) {
        const b = bents[i];
        if (hasRem && remID < b.id) throw new SnapDecodeError(`removed id ${remID} not in baseline`);
        if (hasRem && remID === b.id) {
          nextRem();
        } else {
          if (ents.length >= MAX_ENTITIES) throw new SnapDecodeError(`more than ${MAX_ENTITIES} entities`);
          ents.push(this.predict(b, dt));
        }
        i++;
      }
    };
    const nChanged = r.uvarint();
    if (nChanged > MAX_ENTITIES) throw new SnapDecodeError(`${nChanged} changed entities`);
    if (nChanged * 2 > body.length - r.off) {
      throw new SnapDecodeError(`truncated: ${nChanged} entities in ${body.length - r.off} bytes`);
    }
    let id = 0;
    for (let k = 0; k < nChanged; k++) {
      const g = r.uvarint();
      if (k > 0 && g === 0) throw new SnapDecodeError("changed ids not ascending");
      id += g;
      if (id > 4294967295) throw new SnapDecodeError("changed id overflows");
      const mask = r.mask();
      copyBaseBelow(id);
      const inBase = i < bents.length && bents[i].id === id;
      const removed = inBase && hasRem && remID === id;
      let e;
      if (mask % 2 === 1) {
        const kind = r.uvarint();
        const ki = kind <= 255 ? this.kinds[kind] : void 0;
        if (!ki) throw new SnapDecodeError(`unknown kind ${kind} for id ${id}`);
        if (mask > ki.maxMask) throw new SnapDecodeError(`mask ${mask} beyond kind ${kind}'s fields`);
        if (inBase && !removed) throw new SnapDecodeError(`new id ${id} already in baseline`);
        const fields = new Int32Array(ki.nFields);
        for (let f = 0; f < ki.nFields; f++) {
          if (bit(mask, 1 + f)) fields[f] = unzigzag(r.uvarint());
        }
        if (ki.hasData) {
          e = { id, kind, fields, data: bit(mask, 1 + ki.nFields) ? r.data() : EMPTY_BYTES };
        } else {
          e = { id, kind, fields };
        }
      } else {
        if (!inBase || removed) throw new SnapDecodeError(`changed id ${id} not in baseline`);
        const b = bents[i];
        const ki = this.kinds[b.kind];
        if (mask > ki.maxMask) throw new SnapDecodeError(`mask ${mask} beyond kind ${b.kind}'s fields`);
        const fields = new Int32Array(ki.nFields);
        for (let f = 0; f < ki.nFields; f++) {
          let v = b.fields[f];
          const rt = ki.rate[f];
          if (rt >= 0) v = v + Math.imul(b.fields[rt], dt) | 0;
          if (bit(mask, 1 + f)) v = v + unzigzag(r.uvarint()) | 0;
          fields[f] = v;
        }
        if (ki.hasData) {
          e = { id, kind: b.kind, fields, data: bit(mask, 1 + ki.nFields) ? r.data() : b.data ?? EMPTY_BYTES };
        } else {
          e = { id, kind: b.kind, fields };
        }
      }
      if (inBase) {
        if (removed) nextRem();
        i++;
      }
      if (ents.length >= MAX_ENTITIES) throw new SnapDecodeError(`more than ${MAX_ENTITIES} entities`);
      ents.push(e);
    }
    copyBaseBelow(2 ** 32);
    if (hasRem) throw new SnapDecodeError(`removed id ${remID} not in baseline`);
    if (r.off !== body.length) throw new SnapDecodeError(`${body.length - r.off} trailing bytes`);
    return { tick, entities: ents };
  }
  /** The baseline entity carried forward by its rates over dt ticks (shared when nothing moves). */
  predict(b, dt) {
    const ki = this.kinds[b.kind];
    let fields;
    for (let f = 0; f < ki.nFields; f++) {
      const rt = ki.rate[f];
      if (rt < 0) continue;
      const step = Math.imul(b.fields[rt], dt);
      if (step === 0) continue;
      fields ??= b.fields.slice();
      fields[f] = b.fields[f] + step | 0;
    }
    if (!fields) return b;
    return b.data ? { id: b.id, kind: b.kind, fields, data: b.data } : { id: b.id, kind: b.kind, fields };
  }
  /**
   * Encodes `cur` as a delta against `base` (the empty world when base.tick is 0), as the server does. Used by tests
   * and tools; entities must be sorted by ascending id and use only the schema's kinds.
   */
  encode(base, cur) {
    const bents = base.tick !== 0 ? base.entities : EMPTY_WORLD.entities;
    const dt = base.tick !== 0 ? cur.tick - base.tick | 0 : 0;
    const cents = cur.entities;
    const out = [];
    const removed = [];
    let j = 0;
    for (const b of bents) {
      while (j < cents.length && cents[j].id < b.id) j++;
      if (j < cents.length && cents[j].id === b.id && cents[j].kind === b.kind) continue;
      removed.push(b.id);
    }
    appendUvarint(out, removed.length);
    let prev = 0;
    for (const id of removed) {
      appendUvarint(out, id - prev);
      prev = id;
    }
    const items = [];
    let n = 0;
    prev = 0;
    let i = 0;
    for (const e of cents) {
      while (i < bents.length && bents[i].id < e.id) i++;
      const ki = this.kinds[e.kind];
      if (!ki) throw new Error(`snapcodec: unknown kind ${e.kind}`);
      const b = bents[i];
      if (b && b.id === e.id && b.kind === e.kind) {
        const res = [];
        let mask = 0;
        for (let f = 0; f < ki.nFields; f++) {
          let pred = b.fields[f];
          const rt = ki.rate[f];
          if (rt >= 0) pred = pred + Math.imul(b.fields[rt], dt) | 0;
          const d = e.fields[f] - pred | 0;
          if (d !== 0) {
            mask += 2 ** (1 + f);
            res.push(d);
          }
        }
        const dataChanged = ki.hasData && !sameBytes(e.data, b.data);
        if (dataChanged) mask += 2 ** (1 + ki.nFields);
        if (mask === 0) continue;
        appendUvarint(items, e.id - prev);
        appendMask(items, mask);
        for (const d of res) appendUvarint(items, zigzag(d));
        if (dataChanged) appendData(items, e.data);
      } else {
        let mask = 1;
        for (let f = 0; f < ki.nFields; f++) if (e.fields[f] !== 0) mask += 2 ** (1 + f);
        const hasData = ki.hasData && (e.data?.length ?? 0) > 0;
        if (hasData) mask += 2 ** (1 + ki.nFields);
        appendUvarint(items, e.id - prev);
        appendMask(items, mask);
        appendUvarint(items, e.kind);
        for (let f = 0; f < ki.nFields; f++) if (e.fields[f] !== 0) appendUvarint(items, zigzag(e.fields[f]));
        if (hasData) appendData(items, e.data);
      }
      prev = e.id;
      n++;
    }
    appendUvarint(out, n);
    for (const b of items) out.push(b);
    return Uint8Array.from(out);
  }
  /** The 32-bit FNV-1a hash of a world, as Snapshot.state_hash carries it. */
  hash(w) {
    const prime = 16777619;
    let h = 2166136261 | 0;
    const word = (v) => {
      h = Math.imul(h ^ v & 255, prime);
      h = Math.imul(h ^ v >>> 8 & 255, prime);
      h = Math.imul(h ^ v >>> 16 & 255, prime);
      h = Math.imul(h ^ v >>> 24, prime);
    };
    for (const e of w.entities) {
      word(e.id);
      h = Math.imul(h ^ e.kind, prime);
      const ki = this.kinds[e.kind];
      const n = ki?.nFields ?? 0;
      for (let f = 0; f < n; f++) word(e.fields[f]);
      if (ki?.hasData) {
        const d = e.data ?? EMPTY_BYTES;
        h = Math.imul(h ^ d.length, prime);
        for (const x of d) h = Math.imul(h ^ x, prime);
      }
    }
    return h >>> 0;
  }
};
function appendData(out, d) {
  const x = d ?? EMPTY_BYTES;
  if (x.length > MAX_DATA) throw new Error(`snapcodec: ${x.length} data bytes (max ${MAX_DATA})`);
  out.push(x.length);
  for (const b of x) out.push(b);
}
function diffWorlds(prev, cur, onEnter, onExit) {
  const a = prev.entities;
  const b = cur.entities;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (y === void 0 || x !== void 0 && x.id < y.id) {
      onExit(x);
      i++;
    } else if (x === void 0 || y.id < x.id) {
      onEnter(y);
      j++;
    } else {
      if (x.kind !== y.kind) {
        onExit(x);
        onEnter(y);
      }
      i++;
      j++;
    }
  }
}
function findEntity(w, id) {
  const es = w.entities;
  let lo = 0;
  let hi = es.length - 1;
  while (lo <= hi) {
    const mid = lo + hi >>> 1;
    const m = es[mid];
    if (m.id === id) return m;
    if (m.id < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return void 0;
}

// src/sdk/interpolation.ts
function renderEntity(e, fields) {
  return e.data === void 0 ? { id: e.id, kind: e.kind, fields } : { id: e.id, kind: e.kind, fields, data: e.data };
}
var SLEW = 0.05;
var DRY_SLEW = 0.3;
var CATCH_UP_MS = 250;
var JUMP_MS = 500;
var JUMP_BACK_MS = 2e3;
var LATENESS_MS = 400;
var JITTER_MS = 1500;
var JITTER_RISE_MS = 150;
var JITTER_MARGIN = 3;
var MIN_MARGIN_MS = 2;
var MAX_MARGIN_MS = 250;
var EXTRAPOLATE_MAX_MS = 100;
var BLEND_MS = 100;
var Interpolator = class {
  // Static after construction.
  opts;
  msPerTick;
  intervalMs;
  maxAheadTicks;
  capacity;
  // The buffer, oldest first.
  frames = [];
  // Whether the buffer has held two snapshots since the reset (before, holding is waiting, not starving).
  started = false;
  // Arrival statistics (ms).
  lateness = NaN;
  jitter = 0;
  lastArrivalMs = NaN;
  // The render clock: the render tick drawn at lastNow.
  clock = NaN;
  lastNow = NaN;
  // Fading offsets of entities drawn extrapolated when a late snapshot arrived, by entity id.
  blends = /* @__PURE__ */ new Map();
  // Counters.
  held = 0;
  extrapolated = 0;
  constructor(opts) {
    this.opts = opts;
    this.msPerTick = 1e3 / opts.tickRate;
    const ticksPerSnapshot = Math.max(1, Math.round(opts.tickRate / Math.max(1, opts.snapshotRate)));
    this.intervalMs = ticksPerSnapshot * this.msPerTick;
    this.maxAheadTicks = Math.max(EXTRAPOLATE_MAX_MS, 2 * this.intervalMs) / this.msPerTick;
    this.capacity = opts.capacity ?? 64;
  }
  /** The delay (ticks) the render clock aims for behind a snapshot's expected arrival. */
  get delay() {
    return this.delayMs() / this.msPerTick;
  }
  /** The newest world pushed, if any. */
  get newest() {
    return this.frames[this.frames.length - 1]?.world;
  }
  /** Adds a decoded snapshot that arrived at arrivalMs. Older or duplicate ticks are ignored. */
  push(world, arrivalMs) {
    const n = this.frames.length;
    const last = this.frames[n - 1];
    if (last && world.tick <= last.world.tick) return;
    this.measure(world.tick, last ? world.tick - last.world.tick : 0, arrivalMs);
    const rt = this.clock;
    const wasAhead = last !== void 0 && !Number.isNaN(rt) && rt > last.world.tick;
    const before = wasAhead ? this.sampleRaw(rt) : void 0;
    this.frames.push({ world, arrivalMs });
    if (this.frames.length > this.capacity) this.frames.shift();
    if (this.frames.length >= 2) this.started = true;
    if (before) this.blendFrom(before, rt);
  }
  /** Forgets every snapshot, the arrival statistics and the clock (a new room, or a resume). Counters stay. */
  reset() {
    this.frames.length = 0;
    this.blends.clear();
    this.started = false;
    this.lateness = this.lastArrivalMs = this.clock = this.lastNow = NaN;
    this.jitter = 0;
  }
  /** Interpolation figures for a debug panel. */
  stats() {
    let depth = 0;
    for (let i = this.frames.length - 1; i >= 0 && this.frames[i].world.tick > this.clock; i--) depth++;
    return {
      delayMs: this.delayMs(),
      jitterMs: this.jitter,
      bufferDepth: Number.isNaN(this.clock) ? this.frames.length : depth,
      heldFrames: this.held,
      extrapolatedFrames: this.extrapolated
    };
  }
  /**
   * The (fractional) server tick to draw at nowMs; NaN before the first snapshot. Call once per rendered frame (a
   * second call with the same or an earlier time returns the same tick and is not counted again).
   */
  renderTick(nowMs) {
    const n = this.frames.length;
    if (n === 0 || Number.isNaN(this.lateness)) return NaN;
    if (nowMs <= this.lastNow) return this.clock;
    const aim = (nowMs - this.lateness - this.delayMs()) / this.msPerTick;
    const dt = nowMs - this.lastNow;
    const gapMs = (aim - this.clock - dt / this.msPerTick) * this.msPerTick;
    if (Number.isNaN(this.clock) || gapMs > JUMP_MS || gapMs < -JUMP_BACK_MS) {
      this.clock = aim;
    } else {
      const free = this.clock + dt / this.msPerTick;
      let dilation = (aim - free) * this.msPerTick / CATCH_UP_MS;
      dilation = dilation > SLEW ? SLEW : dilation < -SLEW ? -SLEW : dilation;
      const newest2 = this.frames[n - 1].world.tick;
      if (free > newest2) {
        const pastMs = (free - newest2) * this.msPerTick;
        dilation = Math.min(dilation, -Math.min(DRY_SLEW, SLEW + pastMs / 200));
      }
      this.clock += dt / this.msPerTick * (1 + dilation);
    }
    this.lastNow = nowMs;
    const rt = this.clock;
    const oldest = this.frames[0].world.tick;
    const newest = this.frames[n - 1].world.tick;
    if (rt > newest + this.maxAheadTicks) this.held++;
    else if (rt > newest) this.extrapolated++;
    else if (rt < oldest && this.started) this.held++;
    return rt;
  }
  /** The entities as drawn at render tick rt (from renderTick), ids ascending; skip is left out (the local player). */
  sample(rt, skip) {
    const out = this.sampleRaw(rt, skip);
    if (this.blends.size === 0) return out;
    for (const e of out) {
      const b = this.blends.get(e.id);
      if (!b || b.kind !== e.kind) continue;
      const f = Math.exp(-(Math.max(0, rt - b.rt0) * this.msPerTick) / BLEND_MS);
      const wraps = this.opts.wraps?.get(e.kind);
      for (let k = 0; k < e.fields.length && k < b.offset.length; k++) {
        if (b.offset[k] === 0) continue;
        const v = e.fields[k] + b.offset[k] * f;
        const w = wraps?.[k] ?? 0;
        e.fields[k] = w > 0 ? mod(v, w) : v;
      }
    }
    if (rt === this.clock) {
      for (const [id, b] of this.blends) if ((rt - b.rt0) * this.msPerTick > 5 * BLEND_MS) this.blends.delete(id);
    }
    return out;
  }
  delayMs() {
    const margin = JITTER_MARGIN * this.jitter;
    return this.intervalMs + (margin < MIN_MARGIN_MS ? MIN_MARGIN_MS : margin > MAX_MARGIN_MS ? MAX_MARGIN_MS : margin);
  }
  /**
   * Updates the expected lateness and the jitter with one snapshot's arrival, gapTicks after the previous one. A
   * snapshot the server skipped (a gap over one interval) counts as that much later for the jitter: the buffer ran
   * as dry as if it had been late.
   */
  measure(tick, gapTicks, arrivalMs) {
    const late = arrivalMs - tick * this.msPerTick;
    const skippedMs = Math.max(0, gapTicks * this.msPerTick - this.intervalMs);
    if (Number.isNaN(this.lateness)) {
      this.lateness = late;
      this.lastArrivalMs = arrivalMs;
      return;
    }
    const gap = Math.max(0, arrivalMs - this.lastArrivalMs);
    this.lastArrivalMs = arrivalMs;
    const dev = Math.abs(late + skippedMs - this.lateness);
    const rising = dev > this.jitter;
    const jk = rising ? Math.max(1 - Math.exp(-gap / JITTER_RISE_MS), 0.1) : 1 - Math.exp(-Math.min(gap, this.intervalMs) / JITTER_MS);
    this.jitter += (dev - this.jitter) * jk;
    this.lateness += (late - this.lateness) * (1 - Math.exp(-Math.min(gap, this.intervalMs) / LATENESS_MS));
  }
  /** Records, for each entity drawn past the newest snapshot at rt, the jump the new snapshot would make. */
  blendFrom(before, rt) {
    const after = this.sampleRaw(rt);
    let j = 0;
    for (const a of before) {
      while (j < after.length && after[j].id < a.id) j++;
      const b = after[j];
      if (!b || b.id !== a.id || b.kind !== a.kind) continue;
      const rates = this.opts.rates.get(a.kind);
      if (!rates) continue;
      const wraps = this.opts.wraps?.get(a.kind);
      const tps = this.opts.teleports?.get(a.kind);
      const prev = this.blends.get(a.id);
      const f = prev && prev.kind === a.kind ? Math.exp(-(Math.max(0, rt - prev.rt0) * this.msPerTick) / BLEND_MS) : 0;
      const offset = new Float64Array(a.fields.length);
      let any = false;
      for (let k = 0; k < offset.length; k++) {
        const w = wraps?.[k] ?? 0;
        if ((rates[k] ?? -1) < 0 && w <= 0) continue;
        let d = a.fields[k] - b.fields[k];
        if (w > 0) d = mod(d + w / 2, w) - w / 2;
        const tp = tps?.[k] ?? 0;
        if (tp > 0 && Math.abs(d) > tp * (this.maxAheadTicks + 1)) continue;
        offset[k] = d + (prev && f > 0 ? (prev.offset[k] ?? 0) * f : 0);
        if (offset[k] !== 0) any = true;
      }
      if (any) this.blends.set(a.id, { kind: a.kind, offset, rt0: rt });
      else this.blends.delete(a.id);
    }
  }
  /** The entities on the snapshots' path at rt, without blending. */
  sampleRaw(rt, skip) {
    const n = this.frames.length;
    if (n === 0 || Number.isNaN(rt)) return [];
    let i = n - 1;
    while (i > 0 && this.frames[i].world.tick > rt) i--;
    const a = this.frames[i].world;
    const b = i + 1 < n ? this.frames[i + 1].world : void 0;
    const out = [];
    if (!b || rt < a.tick) {
      const ahead = Math.min(Math.max(0, rt - a.tick), this.maxAheadTicks);
      for (const e of a.entities) if (e.id !== skip) out.push(this.extrapolate(e, ahead));
      return out;
    }
    const span = b.tick - a.tick;
    const alpha = (rt - a.tick) / span;
    for (const e of a.entities) {
      if (e.id === skip) continue;
      const f = findEntity(b, e.id);
      out.push(f && f.kind === e.kind ? this.lerp(e, f, alpha, span) : this.extrapolate(e, Math.min(rt - a.tick, this.maxAheadTicks)));
    }
    return out;
  }
  extrapolate(e, ticks) {
    const fields = Float64Array.from(e.fields);
    const rates = this.opts.rates.get(e.kind);
    if (rates && ticks > 0) {
      const wraps = this.opts.wraps?.get(e.kind);
      for (let k = 0; k < fields.length; k++) {
        const r = rates[k] ?? -1;
        if (r < 0) continue;
        const v = e.fields[k] + e.fields[r] * ticks;
        const w = wraps?.[k] ?? 0;
        fields[k] = w > 0 ? mod(v, w) : v;
      }
    }
    return renderEntity(e, fields);
  }
  lerp(a, b, alpha, span) {
    const fields = Float64Array.from(a.fields);
    const rates = this.opts.rates.get(a.kind);
    const wraps = this.opts.wraps?.get(a.kind);
    if (!rates && !wraps) return renderEntity(a, fields);
    const tps = this.opts.teleports?.get(a.kind);
    for (let k = 0; k < fields.length; k++) {
      const w = wraps?.[k] ?? 0;
      if ((rates?.[k] ?? -1) < 0 && w <= 0) continue;
      let d = b.fields[k] - a.fields[k];
      if (w > 0) d = mod(d + w / 2, w) - w / 2;
      const tp = tps?.[k] ?? 0;
      if (tp > 0 && Math.abs(d) > tp * span) {
        fields[k] = alpha < 1 ? a.fields[k] : b.fields[k];
      } else {
        const v = a.fields[k] + d * alpha;
        fields[k] = w > 0 ? mod(v, w) : v;
      }
    }
    return renderEntity(a, fields);
  }
};
function mod(x, m) {
  const r = x % m;
  return r < 0 ? r + m : r;
}

// src/sdk/clock.ts
var NetClock = class {
  constructor(tickRate, window = 8) {
    this.tickRate = tickRate;
    this.window = window;
  }
  tickRate;
  window;
  /** Smoothed round-trip time in milliseconds (NaN before the first Pong). */
  rttMs = NaN;
  /** The most recent round-trip sample in milliseconds. */
  lastRttMs = NaN;
  /** The mean deviation between successive round trips, smoothed (RFC 3550's interarrival jitter), in ms. */
  jitterMs = 0;
  samples = [];
  /** Records a Pong: sentMs is when the Ping left (local), serverUs the server's Unix time in microseconds. */
  onPong(sentMs, serverUs, serverTick, nowMs) {
    const rtt = Math.max(0, nowMs - sentMs);
    const mid = sentMs + rtt / 2;
    if (!Number.isNaN(this.lastRttMs)) this.jitterMs += (Math.abs(rtt - this.lastRttMs) - this.jitterMs) / 16;
    this.lastRttMs = rtt;
    this.rttMs = Number.isNaN(this.rttMs) ? rtt : this.rttMs + (rtt - this.rttMs) / 8;
    this.samples.push({ rttMs: rtt, offsetMs: serverUs / 1e3 - mid, tickOffset: serverTick - mid * this.tickRate / 1e3 });
    if (this.samples.length > this.window) this.samples.shift();
  }
  best() {
    let b;
    for (const s of this.samples) if (!b || s.rttMs < b.rttMs) b = s;
    return b;
  }
  /** The server's clock (Unix milliseconds) at local time nowMs, or NaN before the first Pong. */
  serverTimeMs(nowMs) {
    const b = this.best();
    return b ? nowMs + b.offsetMs : NaN;
  }
  /** The server's (fractional) tick at local time nowMs, or NaN before the first Pong. */
  serverTick(nowMs) {
    const b = this.best();
    return b ? nowMs * this.tickRate / 1e3 + b.tickOffset : NaN;
  }
};
var RateMeter = class {
  times = [];
  sizes = [];
  sum = 0;
  /** Records one event of `size` units (bytes, or 1) at nowMs. */
  add(nowMs, size = 1) {
    this.times.push(nowMs);
    this.sizes.push(size);
    this.sum += size;
    this.trim(nowMs);
  }
  /** Units per second over the last second. */
  perSecond(nowMs) {
    this.trim(nowMs);
    return this.sum;
  }
  trim(nowMs) {
    while (this.times.length > 0 && this.times[0] <= nowMs - 1e3) {
      this.times.shift();
      this.sum -= this.sizes.shift();
    }
  }
};
var SEGMENTS = 64;
var MIN_REPORTS = 8;
var InputClock = class {
  /** The current dilation: the clock runs at (1 + dilation) times real speed. */
  dilation = 0;
  /** The target lead, in ms. */
  targetLeadMs;
  /** The latest reported lead and its smoothed value, in ms (NaN before the first report). */
  lastLeadMs = NaN;
  smoothedLeadMs = NaN;
  /** The largest |dilation| ever used. */
  maxDilationUsed = 0;
  /** Jumps forward after a large error, and jumps at start or re-sync (resumes, Pong refinements). */
  resyncs = 0;
  /** The ticks the clock has jumped forward in all (re-syncs and Pong refinements; not starts). */
  jumpedTicks = 0;
  /** Lead reports since the latest start. */
  reports = 0;
  tickMs;
  safetyMs;
  deviations;
  maxDilation;
  correctionMs;
  resyncMs;
  lateToResync;
  maxTargetMs;
  // The clock: tick(now) = anchorTick + (now - anchorMs) * (1 + dilation) / tickMs.
  anchorMs = NaN;
  anchorTick = NaN;
  // The history of the adjustments (dilation and jumps), newest last, as a ring.
  segs = [];
  // The base leads of the window (ring), their smoothed level, and the late-report streak.
  base;
  baseN = 0;
  baseAt = 0;
  baseLevel = NaN;
  lateStreak = 0;
  // Reports received before this time cover inputs sent before the latest start (or resent at it): not used.
  ignoreUntil = -Infinity;
  constructor(opts) {
    this.tickMs = 1e3 / Math.max(1, opts.tickRate);
    this.safetyMs = opts.safetyMs ?? 3;
    this.deviations = opts.jitterDeviations ?? 2.5;
    this.base = new Float64Array(Math.max(4, opts.window ?? 30));
    this.maxDilation = opts.maxDilation ?? 0.05;
    this.correctionMs = opts.correctionMs ?? 1e3;
    this.resyncMs = opts.resyncMs ?? 250;
    this.lateToResync = opts.lateReportsToResync ?? 3;
    this.maxTargetMs = opts.maxTargetMs ?? 250;
    this.targetLeadMs = this.safetyMs + 10;
  }
  /** Whether start has been called. */
  get started() {
    return !Number.isNaN(this.anchorMs);
  }
  /**
   * Sets the clock from an estimate of the server's fractional tick now and the one-way delay (half the RTT): inputs
   * sent from now arrive targetLeadMs before their tick is due. Used at the first Welcome and after a resume: the
   * reports gathered so far are forgotten (they relate to the old setting), the target lead is kept, and the reports
   * of the next round trip and report interval are not used (their inputs left before the start, or were resent at
   * once for several ticks).
   */
  start(nowMs, serverTick, oneWayMs) {
    this.ignoreUntil = nowMs + 2 * oneWayMs + 100;
    this.baseN = this.baseAt = 0;
    this.baseLevel = NaN;
    this.segs.length = 0;
    this.anchorMs = nowMs;
    this.anchorTick = serverTick + (oneWayMs + this.targetLeadMs) / this.tickMs;
    this.dilation = 0;
    this.lateStreak = 0;
    this.reports = 0;
    this.pushSegment(nowMs, 0);
    this.resyncs++;
  }
  /**
   * Says that the inputs sent up to now left late because the page stalled (its timers were throttled), not because of
   * the clock: the reports that cover them, received within the next round trip and report interval, are not used.
   */
  stalled(nowMs, rttMs) {
    this.ignoreUntil = Math.max(this.ignoreUntil, nowMs + (Number.isFinite(rttMs) ? rttMs : 0) + 150);
    this.lateStreak = 0;
  }
  /** The clock's fractional tick at nowMs (NaN before start). */
  tick(nowMs) {
    return this.anchorTick + (nowMs - this.anchorMs) * (1 + this.dilation) / this.tickMs;
  }
  /** The local time at which the clock reaches tick k. */
  timeOf(k) {
    return this.anchorMs + (k - this.anchorTick) * this.tickMs / (1 + this.dilation);
  }
  /**
   * Moves the clock forward so that it is at least at the tick an estimate of the server's tick now implies (from a
   * Pong). Only before the first lead report: after it, the reports are the better measure.
   */
  refine(nowMs, serverTick, oneWayMs) {
    if (!this.started || this.reports > 0) return;
    const want = serverTick + (oneWayMs + this.targetLeadMs) / this.tickMs;
    const d = want - this.tick(nowMs);
    if (d > 0.5) this.jump(nowMs, d);
  }
  /**
   * Takes a lead report (ms) received at nowMs; rttMs is the current round trip (for when the reported inputs were
   * sent). Updates the target, the dilation, and jumps forward when far behind.
   */
  onLeadReport(nowMs, leadMs, rttMs) {
    if (!this.started) return;
    this.lastLeadMs = leadMs;
    if (nowMs < this.ignoreUntil) return;
    this.reports++;
    this.smoothedLeadMs = Number.isNaN(this.smoothedLeadMs) ? leadMs : this.smoothedLeadMs + (leadMs - this.smoothedLeadMs) / 8;
    const sentAt = nowMs - (Number.isFinite(rttMs) ? rttMs : 0) - 50;
    const b = leadMs - this.offsetAt(sentAt);
    this.base[this.baseAt] = b;
    this.baseAt = (this.baseAt + 1) % this.base.length;
    if (this.baseN < this.base.length) this.baseN++;
    this.baseLevel = Number.isNaN(this.baseLevel) ? b : this.baseLevel + (b - this.baseLevel) / 4;
    if (this.baseN >= MIN_REPORTS) this.targetLeadMs = Math.min(this.maxTargetMs, this.safetyMs + this.deviations * this.deviation());
    this.lateStreak = leadMs < 0 ? this.lateStreak + 1 : 0;
    const offset = this.offsetAt(nowMs);
    const error = this.targetLeadMs - (this.baseLevel + offset);
    if (error > this.resyncMs || this.lateStreak >= this.lateToResync && error > 0) {
      this.jump(nowMs, error / this.tickMs);
      this.lateStreak = 0;
      return;
    }
    const d = Math.max(-this.maxDilation, Math.min(this.maxDilation, error / this.correctionMs));
    this.setDilation(nowMs, d);
  }
  /** The lead (ms) the clock expects its inputs to have now, from the reports and its adjustments; NaN before any. */
  expectedLeadMs(nowMs) {
    return this.baseLevel + this.offsetAt(nowMs);
  }
  /** The standard deviation of the window's base leads (0 with fewer than MIN_REPORTS). */
  deviation() {
    const n = this.baseN;
    if (n < MIN_REPORTS) return 0;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += this.base[i];
    const mean = sum / n;
    let sq = 0;
    for (let i = 0; i < n; i++) sq += (this.base[i] - mean) ** 2;
    return Math.sqrt(sq / (n - 1));
  }
  jump(nowMs, ticks) {
    const t = this.tick(nowMs) + ticks;
    const offset = this.offsetAt(nowMs) + ticks * this.tickMs;
    this.anchorMs = nowMs;
    this.anchorTick = t;
    this.dilation = 0;
    this.pushSegment(nowMs, offset);
    this.resyncs++;
    this.jumpedTicks += ticks;
  }
  setDilation(nowMs, d) {
    const t = this.tick(nowMs);
    const offset = this.offsetAt(nowMs);
    this.anchorMs = nowMs;
    this.anchorTick = t;
    this.dilation = d;
    if (Math.abs(d) > this.maxDilationUsed) this.maxDilationUsed = Math.abs(d);
    this.pushSegment(nowMs, offset);
  }
  pushSegment(atMs, offsetMs) {
    const last = this.segs[this.segs.length - 1];
    if (last && last.atMs === atMs) {
      last.offsetMs = offsetMs;
      last.dilation = this.dilation;
      return;
    }
    const s = this.segs.length >= SEGMENTS ? this.segs.shift() : { atMs: 0, offsetMs: 0, dilation: 0 };
    s.atMs = atMs;
    s.offsetMs = offsetMs;
    s.dilation = this.dilation;
    this.segs.push(s);
  }
  /** The total adjustment (ms of lead gained by dilation and jumps) at time t, from the segment history. */
  offsetAt(t) {
    for (let i = this.segs.length - 1; i >= 0; i--) {
      const s = this.segs[i];
      if (s.atMs <= t || i === 0) return s.offsetMs + Math.max(0, t - s.atMs) * s.dilation;
    }
    return 0;
  }
};

// src/sdk/prediction.ts
var SIZES = 256;
var RING = 64;
var MAX_EXTRAPOLATED = 3;
var Predictor = class {
  constructor(model, opts) {
    this.model = model;
    this.smoothingMs = opts.smoothingMs ?? 100;
    this.maxPending = opts.maxPending ?? 128;
    this.repeat = (opts.fill ?? "repeat") === "repeat";
    this.neutral = opts.neutral ?? [];
    this.applied = this.neutral;
    this.snapDistance = opts.teleport !== void 0 && opts.teleport > 0 ? opts.teleport : model.snapDistance;
  }
  model;
  /** Reconciliations that moved the predicted position (mispredictions), each smoothed away. */
  corrections = 0;
  /** The length of the largest correction so far (field units). */
  largestCorrection = 0;
  /** The length of the most recent correction. */
  lastCorrection = 0;
  /** Reconciliations that moved the position further than the teleport threshold: applied at once, not counted above. */
  teleports = 0;
  /** Inputs the room dropped as late (for a tick it had simulated when they arrived). */
  lateInputs = 0;
  smoothingMs;
  maxPending;
  repeat;
  neutral;
  snapDistance;
  pending = [];
  // The values of the last input the room applied (the fill for "repeat").
  applied;
  // The predicted entity at tick `tick` (the last tick sent, or the snapshot's when later).
  state;
  tick = 0;
  // The last ticks' correction sizes (ring), for the percentile.
  sizes = new Float64Array(SIZES);
  sorted = new Float64Array(SIZES);
  sizeN = 0;
  // The predicted positions of ticks ringLo..tick (slot t & (RING - 1)), for drawing between ticks.
  ringX = new Float64Array(RING);
  ringY = new Float64Array(RING);
  ringLo = 0;
  // Scratch for extrapolating past the last tick sent, and the positions it gave.
  scratch;
  extraX = new Float64Array(MAX_EXTRAPOLATED);
  extraY = new Float64Array(MAX_EXTRAPOLATED);
  // The visual offset still being smoothed away, as of offsetAt.
  offX = 0;
  offY = 0;
  offsetAt = 0;
  /** The predicted fields of the local entity, or undefined before the first snapshot holding it. */
  get predicted() {
    return this.state;
  }
  /** The tick the prediction is at (0 before the first snapshot). */
  get predictedTick() {
    return this.tick;
  }
  /** The inputs sent and not yet acknowledged, oldest first. */
  get unacknowledged() {
    return this.pending;
  }
  /** The 95th percentile of the last corrections' lengths (field units; 0 without any). */
  correctionP95() {
    const n = this.sizeN;
    if (n === 0) return 0;
    const a = this.sorted.subarray(0, n);
    a.set(this.sizes.subarray(0, n));
    a.sort();
    return a[Math.min(n - 1, Math.floor(0.95 * n))];
  }
  /**
   * Records an input the client is sending for tick `tick` and advances the prediction to that tick. When it is sent
   * does not matter: drawing follows the tick timeline (see position).
   */
  applyLocal(seq, tick, values) {
    this.pending.push({ seq, tick, values: values.slice() });
    if (this.pending.length > this.maxPending) this.pending.splice(0, this.pending.length - this.maxPending);
    if (!this.state || tick <= this.tick) return;
    this.advance(this.state, this.tick, this.pending.length - 1, tick, true);
    this.tick = tick;
    if (this.ringLo < tick - RING + 1) this.ringLo = tick - RING + 1;
  }
  /** Forgets the inputs the server has applied (seq <= lastInputSeq), keeping the newest of them as the fill. */
  acknowledge(lastInputSeq) {
    let n = 0;
    while (n < this.pending.length && this.pending[n].seq <= lastInputSeq) n++;
    if (n === 0) return;
    const last = this.pending[n - 1];
    if (last.seq === lastInputSeq) this.setApplied(last);
    this.pending.splice(0, n);
  }
  /**
   * Keeps only the newest `n` unacknowledged inputs and readdresses them to consecutive ticks from firstTick (after a
   * resume: the room forgot the ones it had buffered; they are resent with the same seq for fresh ticks).
   */
  readdress(n, firstTick) {
    if (this.pending.length > n) this.pending.splice(0, this.pending.length - n);
    for (let i = 0; i < this.pending.length; i++) this.pending[i].tick = firstTick + i;
    return this.pending;
  }
  /**
   * Rebuilds the prediction from the authoritative entity of the snapshot of tick `tick` and the server's last
   * applied input sequence, replaying the ticks after it. An absent entity (not spawned yet, or removed) clears the
   * prediction.
   */
  reconcile(server, tick, lastInputSeq, nowMs) {
    let n = 0;
    while (n < this.pending.length) {
      const p = this.pending[n];
      if (p.seq <= lastInputSeq) {
        if (p.seq === lastInputSeq) this.setApplied(p);
      } else if (p.tick <= tick) {
        this.lateInputs++;
      } else break;
      n++;
    }
    if (n > 0) this.pending.splice(0, n);
    if (!server || server.kind !== this.model.kind) {
      this.state = void 0;
      return;
    }
    const next = server.fields.slice();
    const to = Math.max(tick, this.pending.length > 0 ? this.pending[this.pending.length - 1].tick : tick);
    let old = this.state;
    const oldTick = this.tick;
    if (old && oldTick < to) {
      old = old.slice();
      this.advance(old, oldTick, this.pending.length - 1, to, false);
    }
    const keep = old !== void 0 && oldTick >= tick - 1 && this.ringLo <= tick;
    this.record(tick, next);
    this.advance(next, tick, this.pending.length - 1, to, true);
    this.state = next;
    this.tick = to;
    this.ringLo = keep ? Math.max(this.ringLo, to - RING + 1) : Math.max(tick, to - RING + 1);
    if (!old) {
      this.offX = this.offY = 0;
      return;
    }
    const xf = this.model.xField;
    const yf = this.model.yField;
    const ex = old[xf] - next[xf];
    const ey = old[yf] - next[yf];
    if (ex === 0 && ey === 0) return;
    const len = Math.hypot(ex, ey);
    if (len > this.snapDistance) {
      this.teleports++;
      this.offX = this.offY = 0;
      this.ringLo = Math.max(tick, to - RING + 1);
      return;
    }
    this.corrections++;
    this.lastCorrection = len;
    this.largestCorrection = Math.max(this.largestCorrection, len);
    this.sizes[(this.corrections - 1) % SIZES] = len;
    if (this.sizeN < SIZES) this.sizeN++;
    for (let t = this.ringLo; t < tick; t++) {
      this.ringX[t & RING - 1] -= ex;
      this.ringY[t & RING - 1] -= ey;
    }
    this.addOffset(ex, ey, nowMs);
  }
  /**
   * Where to draw the local entity at the fractional tick `at` (field units, fractional), or undefined without a
   * prediction. The position is interpolated between the predicted positions of the ticks floor(at) and floor(at) + 1,
   * plus what remains of the corrections (smoothed over time, nowMs). A tick after the last input sent is extrapolated
   * with `next` (the input the client will send for it; default: the fill), up to a few ticks; a tick before the
   * positions kept, or NaN, draws the oldest, or the latest for NaN.
   */
  position(at, nowMs, next) {
    if (!this.state) return void 0;
    let x;
    let y;
    if (Number.isNaN(at)) {
      x = this.state[this.model.xField];
      y = this.state[this.model.yField];
    } else if (at <= this.ringLo) {
      x = this.ringX[this.ringLo & RING - 1];
      y = this.ringY[this.ringLo & RING - 1];
    } else {
      const k = Math.floor(at);
      const f = at - k;
      if (k + 1 > this.tick) this.extrapolate(Math.min(k + 1, this.tick + MAX_EXTRAPOLATED), next);
      x = this.xAt(k) + (f > 0 ? (this.xAt(k + 1) - this.xAt(k)) * f : 0);
      y = this.yAt(k) + (f > 0 ? (this.yAt(k + 1) - this.yAt(k)) * f : 0);
    }
    const o = this.offsetNow(nowMs);
    return { x: x + o.x, y: y + o.y };
  }
  /**
   * Moves the drawing from tick `from` to tick `to` at once (the input clock jumped) without a jump on screen: the
   * difference is smoothed away like a correction.
   */
  retime(from, to, nowMs, next) {
    if (!this.state || Number.isNaN(from) || Number.isNaN(to)) return;
    const a = this.position(from, nowMs, next);
    const b = this.position(to, nowMs, next);
    const ex = a.x - b.x;
    const ey = a.y - b.y;
    if (ex === 0 && ey === 0 || Math.hypot(ex, ey) > this.snapDistance) return;
    this.addOffset(ex, ey, nowMs);
  }
  /**
   * Forgets the predicted entity but not the inputs, after a resume: the next snapshot rebuilds it. The room fills
   * with the neutral input after a resume until an input arrives, so the fill starts neutral again.
   */
  dropPrediction() {
    this.state = void 0;
    this.applied = this.neutral;
    this.offX = this.offY = 0;
  }
  /** Forgets everything (a new room or a fresh join). */
  reset() {
    this.pending = [];
    this.state = void 0;
    this.tick = 0;
    this.applied = this.neutral;
    this.offX = this.offY = 0;
  }
  setApplied(p) {
    this.applied = p.values;
  }
  /**
   * Advances fields from tick `from` to tick `to` as the room would: at each tick the pending input addressed to it
   * (among pending[0..last]) or the fill, then the model's step; `record` keeps each tick's position for drawing.
   */
  advance(fields, from, last, to, record) {
    let i = 0;
    let fill = this.applied;
    while (i <= last && this.pending[i].tick <= from) fill = this.pending[i++].values;
    for (let t = from + 1; t <= to; t++) {
      let input;
      if (i <= last && this.pending[i].tick === t) {
        input = this.pending[i++].values;
        fill = input;
      } else {
        input = this.repeat ? fill : this.neutral;
      }
      this.model.applyInput(fields, input);
      this.model.step?.(fields);
      if (record && t > to - RING) this.record(t, fields);
    }
  }
  record(t, fields) {
    this.ringX[t & RING - 1] = fields[this.model.xField];
    this.ringY[t & RING - 1] = fields[this.model.yField];
  }
  /** Predicts ticks tick+1..to (at most MAX_EXTRAPOLATED) from the state with `next`, into extraX/extraY. */
  extrapolate(to, next) {
    const st = this.state;
    if (!this.scratch || this.scratch.length !== st.length) this.scratch = new Int32Array(st.length);
    const f = this.scratch;
    f.set(st);
    const last = this.pending.length > 0 ? this.pending[this.pending.length - 1] : void 0;
    const fill = last && last.tick <= this.tick ? last.values : this.applied;
    const input = next ?? (this.repeat ? fill : this.neutral);
    for (let t = this.tick + 1; t <= to; t++) {
      this.model.applyInput(f, input);
      this.model.step?.(f);
      this.extraX[t - this.tick - 1] = f[this.model.xField];
      this.extraY[t - this.tick - 1] = f[this.model.yField];
    }
  }
  /** The position of tick t for drawing: kept, extrapolated (after extrapolate), or held at the ends. */
  xAt(t) {
    if (t <= this.tick) return this.ringX[Math.max(t, this.ringLo) & RING - 1];
    return this.extraX[Math.min(t - this.tick, MAX_EXTRAPOLATED) - 1];
  }
  yAt(t) {
    if (t <= this.tick) return this.ringY[Math.max(t, this.ringLo) & RING - 1];
    return this.extraY[Math.min(t - this.tick, MAX_EXTRAPOLATED) - 1];
  }
  addOffset(ex, ey, nowMs) {
    const o = this.offsetNow(nowMs);
    this.offX = o.x + ex;
    this.offY = o.y + ey;
    this.offsetAt = nowMs;
  }
  offsetNow(nowMs) {
    if (this.offX === 0 && this.offY === 0) return { x: 0, y: 0 };
    const k = Math.exp(-Math.max(0, nowMs - this.offsetAt) / this.smoothingMs);
    if (Math.abs(this.offX * k) < 0.5 && Math.abs(this.offY * k) < 0.5) return { x: 0, y: 0 };
    return { x: this.offX * k, y: this.offY * k };
  }
};

// src/sdk/transport.ts
var SOCKET_OPEN = 1;
var browserSocket = (url) => {
  return new WebSocket(url);
};
var realScheduler = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h)
};

// src/sdk/client.ts
var DEFAULT_MAX_MESSAGE_BYTES = 1024;
var MAX_MESSAGE_TYPE_BYTES = 32;
function isTerminalCode(code) {
  return code >= 4500 && code <= 4999 || code === 1002 || code === 1003 || code === 1007 || code === 1009;
}
var CLOSE_MOVED = 4003;
var MAX_REDIRECTS = 3;
var MAX_BURST = 2;
var NO_MODEL = { kind: -1, xField: 0, yField: 0, snapDistance: Infinity, applyInput() {
} };
var TickwireClient = class extends Emitter {
  // Static after construction.
  opts;
  sched;
  socketFactory;
  // The session, set by each Welcome.
  welcomeMsg;
  codec;
  predictor;
  interp;
  clock;
  inputClock;
  resumeToken;
  tickMs = 1e3 / 30;
  // The connection.
  ws;
  st = { kind: "idle" };
  msgSeq = 0;
  // the last Message.seq sent
  lastDisconnect;
  /** The server's URL: opts.url until a 4003 moves the client to the room's node. */
  socketUrl;
  redirects = 0;
  // 4003 redirects followed since the last Welcome
  nodeTries = 0;
  // the cluster nodes tried by a resume whose node could not be reached (Welcome.nodes)
  stopped = false;
  dropAt = 0;
  attempt = 0;
  retryTimer;
  pumpTimer;
  pumpAt = NaN;
  helloAt = NaN;
  // Game state.
  worldState = EMPTY_WORLD;
  /** The last world the application was shown: "enter" and "exit" compare each snapshot with it, across resumes. */
  shownWorld = EMPTY_WORLD;
  seq = 0;
  held = [];
  // The last tick an input was addressed to (strictly increasing across connections), and on this connection (0: none).
  lastTick = 0;
  connLastTick = 0;
  predicting = false;
  nextPingAt = 0;
  pingSent = /* @__PURE__ */ new Map();
  matchEnded;
  lastRenderTick = NaN;
  // The input clock's jumpedTicks the drawing has followed.
  drawnJumps = 0;
  // Figures.
  snapMeter = new RateMeter();
  inMeter = new RateMeter();
  outMeter = new RateMeter();
  decodeErrors = 0;
  hashMismatches = 0;
  hashChecks = 0;
  resumes = 0;
  skippedTicks = 0;
  abandonedInputs = 0;
  constructor(opts) {
    super();
    this.opts = opts;
    this.socketUrl = opts.url;
    this.sched = opts.scheduler ?? realScheduler;
    this.socketFactory = opts.socket ?? browserSocket;
    if ("resumeToken" in opts.join) this.resumeToken = opts.join.resumeToken;
  }
  /** The connection state. */
  get state() {
    return this.st;
  }
  /** The local player's id (0 before the first Welcome). */
  get playerId() {
    return this.welcomeMsg?.playerId ?? 0;
  }
  /** The latest Welcome (game schema, params, rates). */
  get welcome() {
    return this.welcomeMsg;
  }
  /** The latest authoritative world. */
  get world() {
    return this.worldState;
  }
  /** The snapshot codec of the current session (built from Welcome.kinds). */
  get snapCodec() {
    return this.codec;
  }
  /** The match result, once the match has ended. */
  get matchResult() {
    return this.matchEnded;
  }
  /** Opens the connection. Call once. */
  connect() {
    if (this.st.kind !== "idle") throw new Error("tickwire: connect called twice");
    this.open();
  }
  /** Sets the held input (one value per Welcome.input field); it is sent every tick until changed. */
  setInput(values) {
    this.held = values.slice();
  }
  /**
   * Sends a game message (Message frame) outside the input stream: chat, "ready", "buy item", "play card". type is
   * named by the game (1-32 bytes of UTF-8); payload is bytes or a string (UTF-8), at most Welcome.max_message_bytes
   * (1024 by default). The room hands it to the game at the start of its next tick, before that tick's inputs; the
   * game answers with events ("event", and "targetedEvent" for answers to this player alone).
   *
   * Returns the message's sequence number (Message.seq, from 1), which the game may echo to acknowledge it. Throws
   * when not playing or when type or payload are out of bounds. Not resent after a resume: a message written just
   * before the connection dropped may be lost. More than Welcome.message_rate messages a second (bursts of
   * Welcome.message_burst) close the connection with 4508.
   */
  sendMessage(type, payload = new Uint8Array(0)) {
    const enc = new TextEncoder();
    const typeBytes = enc.encode(type).length;
    if (typeBytes === 0 || typeBytes > MAX_MESSAGE_TYPE_BYTES) throw new Error("tickwire: message type must be 1-32 bytes");
    const body = typeof payload === "string" ? enc.encode(payload) : payload;
    const limit = this.welcomeMsg?.maxMessageBytes || DEFAULT_MAX_MESSAGE_BYTES;
    if (body.length > limit) throw new Error(`tickwire: message payload larger than ${limit} bytes`);
    if (this.st.kind !== "playing" || !this.ws || this.ws.readyState !== SOCKET_OPEN) {
      throw new Error("tickwire: sendMessage while not playing");
    }
    const seq = ++this.msgSeq;
    this.send({ case: "message", value: { type, payload: body, seq } });
    return seq;
  }
  /** Leaves the room at once (no grace period) and closes. */
  leave() {
    if (this.ws && this.ws.readyState === SOCKET_OPEN) this.send({ case: "leave", value: {} });
    this.stop(4511, "left", false);
  }
  /** Closes the connection without leaving (the slot stays for the grace period) and does not reconnect. */
  close() {
    this.stop(1e3, "closed by the client", false);
  }
  /**
   * Drops the socket as a network failure would, so that the client resumes (for tests and debugging). The close is
   * reported to the server as 4000-range "dropped" so that it starts the grace period.
   */
  dropConnection() {
    if (!this.ws) return;
    const ws = this.ws;
    this.detach(ws);
    ws.close(4e3, "dropped by the client");
    this.onDropped(1006, "connection dropped");
  }
  /** Network figures for a debug panel. */
  stats() {
    const now = this.sched.now();
    const ic = this.inputClock;
    const is = this.interp?.stats();
    const late = this.predictor?.lateInputs ?? 0;
    return {
      rttMs: this.clock?.rttMs ?? NaN,
      rttJitterMs: this.clock?.jitterMs ?? NaN,
      snapshotJitterMs: is?.jitterMs ?? NaN,
      snapshotsPerSecond: this.snapMeter.perSecond(now),
      bytesInPerSecond: this.inMeter.perSecond(now),
      bytesOutPerSecond: this.outMeter.perSecond(now),
      inputLeadMs: ic?.lastLeadMs ?? NaN,
      inputLeadSmoothedMs: ic?.smoothedLeadMs ?? NaN,
      targetLeadMs: ic?.targetLeadMs ?? NaN,
      clockDilation: ic?.dilation ?? 0,
      clockResyncs: ic?.resyncs ?? 0,
      interpolationDelayMs: is?.delayMs ?? NaN,
      bufferDepth: is?.bufferDepth ?? 0,
      heldFrames: is?.heldFrames ?? 0,
      extrapolatedFrames: is?.extrapolatedFrames ?? 0,
      corrections: this.predictor?.corrections ?? 0,
      largestCorrection: this.predictor?.largestCorrection ?? 0,
      correctionP95: this.predictor?.correctionP95() ?? 0,
      lateInputs: late,
      skippedTicks: this.skippedTicks,
      missedTicks: late + this.skippedTicks,
      abandonedInputs: this.abandonedInputs,
      teleports: this.predictor?.teleports ?? 0,
      decodeErrors: this.decodeErrors,
      hashMismatches: this.hashMismatches,
      hashChecks: this.hashChecks,
      resumes: this.resumes,
      tick: this.worldState.tick,
      pendingInputs: this.predictor?.unacknowledged.length ?? 0
    };
  }
  /** The server's estimated (fractional) tick now, from Ping/Pong; NaN before the first Pong. */
  serverTick() {
    return this.clock?.serverTick(this.sched.now()) ?? NaN;
  }
  /** The server's estimated clock now (Unix milliseconds), from Ping/Pong; NaN before the first Pong. */
  serverTimeMs() {
    return this.clock?.serverTimeMs(this.sched.now()) ?? NaN;
  }
  /**
   * What to draw now: interpolated remote entities and the predicted local player. Call once per frame.
   *
   * The local player is drawn on the input clock's timeline, one tick behind it: the input for tick k is sent when the
   * clock reaches k, and its motion (the predicted positions of ticks k-1 to k) is drawn while the clock runs to k+1.
   * So it moves at the clock's steady speed whatever the send timer does; a send that is late is drawn from the held
   * input it will carry. A jump of the clock (a re-sync) is smoothed like a correction.
   */
  view(nowMs = this.sched.now()) {
    const id = this.playerId;
    const rt = this.interp ? this.interp.renderTick(nowMs) : NaN;
    this.lastRenderTick = rt;
    const p = this.predicting ? this.predictor : void 0;
    const predicted = p?.predicted;
    let pos;
    const ic = this.inputClock;
    const jumped = ic ? ic.jumpedTicks - this.drawnJumps : 0;
    if (ic) this.drawnJumps = ic.jumpedTicks;
    if (p && predicted) {
      const at = ic && ic.started ? ic.tick(nowMs) - 1 : NaN;
      const next = this.inputValues();
      if (jumped > 0) p.retime(at - jumped, at, nowMs, next);
      pos = p.position(at, nowMs, next);
    }
    let entities = this.interp ? this.interp.sample(rt, pos ? id : void 0) : [];
    let local;
    if (p && predicted && pos) {
      const fields = Float64Array.from(predicted);
      fields[p.model.xField] = pos.x;
      fields[p.model.yField] = pos.y;
      local = { id, kind: p.model.kind, fields };
    } else {
      local = entities.find((e) => e.id === id);
      if (local) entities = entities.filter((e) => e !== local);
    }
    return { renderTick: rt, entities, local };
  }
  // --- connection ---
  setState(s) {
    this.st = s;
    this.emit("state", s);
  }
  open() {
    this.lastDisconnect = void 0;
    if (this.st.kind !== "reconnecting") this.setState({ kind: "connecting" });
    let ws;
    try {
      ws = this.socketFactory(this.socketUrl);
    } catch (err) {
      this.onDropped(1006, err instanceof Error ? err.message : "cannot open the socket");
      return;
    }
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.onopen = () => this.onOpen();
    ws.onmessage = (ev) => this.onMessage(ev.data);
    ws.onclose = (ev) => {
      this.detach(ws);
      const d = this.lastDisconnect;
      this.onDropped(d ? d.code : ev.code, d ? d.reason : ev.reason);
    };
    ws.onerror = () => {
    };
  }
  detach(ws) {
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    if (this.ws === ws) this.ws = void 0;
    if (this.pumpTimer !== void 0) this.sched.clearTimeout(this.pumpTimer);
    this.pumpTimer = void 0;
    this.pumpAt = NaN;
  }
  onOpen() {
    this.helloAt = this.sched.now();
    const v2 = 2 /* PROTOCOL_VERSION_2 */;
    this.send({
      case: "hello",
      value: { protocolVersion: v2, minProtocolVersion: v2, maxProtocolVersion: v2, client: this.opts.clientName ?? "tickwire-web/0.2" }
    });
    const name = this.opts.name ?? "";
    const j = this.opts.join;
    let target;
    if (this.resumeToken) target = { case: "resumeToken", value: this.resumeToken };
    else if ("mode" in j) target = { case: "mode", value: j.mode };
    else if ("joinToken" in j) target = { case: "joinToken", value: j.joinToken };
    else throw new Error("tickwire: no way to join");
    this.send({ case: "join", value: { target, name, playerToken: this.opts.playerToken ?? "" } });
  }
  onDropped(code, reason) {
    if (this.stopped) return;
    if (code === CLOSE_MOVED && this.redirects < MAX_REDIRECTS && /^wss?:\/\/[^\s]+$/.test(reason)) {
      this.redirects++;
      this.socketUrl = reason;
      if (!this.resumeToken) {
        this.retryTimer = this.sched.setTimeout(() => {
          this.retryTimer = void 0;
          if (!this.stopped) this.open();
        }, 0);
        return;
      }
    }
    const wasPlaying = this.st.kind === "playing";
    const nodes = this.welcomeMsg?.nodes ?? [];
    if (code === 1006 && this.st.kind === "reconnecting" && this.resumeToken && nodes.length > 0) {
      this.socketUrl = nodes[this.nodeTries++ % nodes.length];
    }
    if (isTerminalCode(code) || !this.resumeToken || this.matchEnded) {
      this.stop(code, reason, !isTerminalCode(code));
      return;
    }
    const now = this.sched.now();
    if (wasPlaying || this.st.kind !== "reconnecting") {
      this.dropAt = now;
      this.attempt = 0;
    }
    const grace = this.welcomeMsg?.graceMs ?? 0;
    const deadline = this.dropAt + grace;
    const delays = this.opts.reconnectDelaysMs ?? [0, 250, 500, 1e3, 2e3];
    const delay = delays[Math.min(this.attempt, delays.length - 1)] ?? 1e3;
    if (now + delay >= deadline) {
      this.stop(code, reason + " (grace period over)", true);
      return;
    }
    this.attempt++;
    this.setState({ kind: "reconnecting", attempt: this.attempt, code, reason, deadlineMs: deadline });
    this.retryTimer = this.sched.setTimeout(() => {
      this.retryTimer = void 0;
      if (!this.stopped) this.open();
    }, delay);
  }
  stop(code, reason, reconnect) {
    if (this.stopped) return;
    this.stopped = true;
    if (this.retryTimer !== void 0) this.sched.clearTimeout(this.retryTimer);
    const ws = this.ws;
    if (ws) {
      this.detach(ws);
      if (ws.readyState <= SOCKET_OPEN) ws.close(1e3, reason.slice(0, 100));
    }
    this.setState({ kind: "closed", code, reason, reconnect });
  }
  send(msg) {
    const ws = this.ws;
    if (!ws || ws.readyState !== SOCKET_OPEN) return;
    const bytes = toBinary(ClientFrameSchema, create(ClientFrameSchema, { msg }));
    ws.send(bytes);
    this.outMeter.add(this.sched.now(), bytes.byteLength);
  }
  // --- inbound ---
  onMessage(data) {
    if (!(data instanceof ArrayBuffer)) {
      this.stop(1003, "the server sent a non-binary frame", false);
      return;
    }
    const now = this.sched.now();
    this.inMeter.add(now, data.byteLength);
    let frame;
    try {
      frame = fromBinary(ServerFrameSchema, new Uint8Array(data));
    } catch {
      this.decodeErrors++;
      return;
    }
    const m = frame.msg;
    switch (m.case) {
      case "welcome":
        this.redirects = 0;
        this.onWelcome(m.value, now);
        break;
      case "snapshot":
        this.onSnapshot(m.value, frame.lastInputSeq, now);
        if (frame.inputLeadUs !== 0) this.inputClock?.onLeadReport(now, frame.inputLeadUs / 1e3, this.clock?.rttMs ?? NaN);
        break;
      case "event":
        this.emit("event", m.value);
        if (m.value.targeted) this.emit("targetedEvent", m.value);
        break;
      case "pong": {
        const sent = this.pingSent.get(m.value.clientTimeUs);
        this.pingSent.delete(m.value.clientTimeUs);
        if (sent !== void 0 && this.clock) {
          this.clock.onPong(sent, Number(m.value.serverTimeUs), m.value.serverTick, now);
          this.inputClock?.refine(now, this.clock.serverTick(now) + 0.5, this.clock.rttMs / 2);
        }
        break;
      }
      case "disconnect":
        this.lastDisconnect = { code: m.value.code, reason: m.value.reason };
        break;
      case "matchResult":
        this.matchEnded = m.value;
        this.emit("matchResult", m.value);
        break;
      default:
        break;
    }
    this.pump();
  }
  onWelcome(w, now) {
    const prev = this.welcomeMsg;
    const sameSession = w.resumed && prev !== void 0 && prev.roomId === w.roomId && prev.roomEpoch === w.roomEpoch;
    this.welcomeMsg = w;
    this.resumeToken = w.resumeToken.length > 0 ? w.resumeToken.slice() : void 0;
    this.tickMs = 1e3 / Math.max(1, w.tickRate);
    this.codec = new SnapCodec(w.kinds.map((k) => ({ id: k.id, name: k.name, fields: k.fields, data: k.data })));
    this.worldState = EMPTY_WORLD;
    this.clock ??= new NetClock(w.tickRate);
    if (!sameSession || !this.interp) {
      const rates = /* @__PURE__ */ new Map();
      const wraps = /* @__PURE__ */ new Map();
      const teleports = /* @__PURE__ */ new Map();
      const fallback = this.opts.teleportPerTick ?? 0;
      for (const k of w.kinds) {
        rates.set(k.id, k.fields.map((f) => f.rateField - 1));
        wraps.set(k.id, k.fields.map((f) => f.wrap));
        teleports.set(k.id, k.fields.map((f) => f.teleport || (f.rateField > 0 ? fallback : 0)));
      }
      this.interp = new Interpolator({ tickRate: w.tickRate, snapshotRate: w.snapshotRate || w.tickRate, rates, wraps, teleports });
    } else {
      this.interp.reset();
    }
    if (!sameSession || !this.predictor) {
      const model = this.opts.prediction?.(w);
      this.predicting = model !== void 0;
      const neutral = w.input.map((f) => 0 < f.min ? f.min : 0 > f.max ? f.max : 0);
      const kind = model ? w.kinds.find((k) => k.id === model.kind) : void 0;
      const tp = kind ? Math.max(kind.fields[model.xField]?.teleport ?? 0, kind.fields[model.yField]?.teleport ?? 0) : 0;
      this.predictor = new Predictor(model ?? NO_MODEL, {
        fill: w.inputFill === 1 /* NEUTRAL */ ? "neutral" : "repeat",
        neutral,
        teleport: tp > 0 ? tp : void 0
      });
      this.inputClock = new InputClock({ tickRate: w.tickRate, safetyMs: this.opts.leadSafetyMs });
      this.drawnJumps = 0;
      if (!w.resumed) this.seq = 0;
      this.seq = Math.max(this.seq, w.lastInputSeq);
      if (!sameSession) this.lastTick = 0;
    }
    if (w.resumed) this.resumes++;
    const rtt = Number.isFinite(this.clock.rttMs) ? this.clock.rttMs : Math.max(0, now - this.helloAt);
    const ic = this.inputClock;
    ic.start(now, w.tick + 1 + rtt / 2 / this.tickMs, rtt / 2);
    this.lastTick = Math.max(this.lastTick, Math.floor(ic.tick(now)));
    this.connLastTick = 0;
    this.setState({ kind: "playing", playerId: w.playerId, roomId: w.roomId, resumed: w.resumed });
    this.emit("welcome", w);
    const p = this.predictor;
    if (w.resumed && sameSession) {
      p.acknowledge(w.lastInputSeq);
      p.dropPrediction();
      const max = Math.min(this.opts.maxResend ?? 15, w.inputWindow > 1 ? w.inputWindow - 1 : Infinity);
      const n = p.unacknowledged.length;
      if (n > max) this.abandonedInputs += n - max;
      const first = this.lastTick + 1;
      for (const inp of p.readdress(max, first)) {
        this.sendInputFrame(inp.seq, inp.tick, inp.values);
        this.lastTick = this.connLastTick = inp.tick;
      }
    }
    this.nextPingAt = now;
    this.pump();
  }
  onSnapshot(s, lastInputSeq, now) {
    const codec = this.codec;
    if (!codec || !this.interp) return;
    const base = s.baselineTick === 0 ? EMPTY_WORLD : this.worldState;
    if (s.baselineTick !== 0 && s.baselineTick !== this.worldState.tick) {
      this.resync("snapshot against a baseline the client does not hold");
      return;
    }
    let world;
    try {
      world = codec.apply(base, s.tick, s.entities);
    } catch {
      this.resync("undecodable snapshot");
      return;
    }
    this.worldState = world;
    this.snapMeter.add(now);
    if (s.stateHash !== void 0) {
      this.hashChecks++;
      if (codec.hash(world) !== s.stateHash) this.hashMismatches++;
    }
    this.interp.push(world, now);
    this.predictor?.reconcile(findEntity(world, this.playerId), world.tick, lastInputSeq, now);
    const shown = this.shownWorld;
    this.shownWorld = world;
    diffWorlds(
      shown,
      world,
      (e) => this.emit("enter", e),
      (e) => this.emit("exit", e)
    );
    this.emit("snapshot", { world, lastInputSeq, full: s.baselineTick === 0 });
  }
  /** A snapshot the client cannot apply: every later delta would fail too, so resume to get a full snapshot. */
  resync(reason) {
    this.decodeErrors++;
    const ws = this.ws;
    if (!ws) return;
    this.detach(ws);
    ws.close(4e3, reason);
    this.onDropped(1006, reason);
  }
  // --- outbound ---
  /**
   * Sends the inputs and pings that are due, then sets a timer for the next; runs from that timer and after every
   * received frame.
   */
  pump() {
    if (this.st.kind !== "playing" || !this.ws) return;
    const now = this.sched.now();
    const ic = this.inputClock;
    let next = Infinity;
    if (ic && this.welcomeMsg && this.welcomeMsg.input.length > 0) {
      const due = Math.floor(ic.tick(now));
      if (due > this.lastTick) {
        let first = this.lastTick + 1;
        if (due - first >= MAX_BURST) {
          if (this.connLastTick > 0) this.skippedTicks += due - MAX_BURST + 1 - first;
          first = due - MAX_BURST + 1;
          ic.stalled(now, this.clock?.rttMs ?? NaN);
        }
        for (let t = first; t <= due; t++) this.sendInput(t, now);
      }
      next = ic.timeOf(this.lastTick + 1);
    }
    if (now >= this.nextPingAt) {
      const hb = this.welcomeMsg?.heartbeatMs ?? 0;
      const period = this.opts.pingIntervalMs ?? 1e3;
      this.nextPingAt = now + (hb > 0 ? Math.min(period, hb / 3) : period);
      const t = BigInt(Math.round(now * 1e3));
      this.pingSent.set(t, now);
      if (this.pingSent.size > 16) this.pingSent.delete(this.pingSent.keys().next().value);
      this.send({ case: "ping", value: { clientTimeUs: t } });
    }
    next = Math.min(next, this.nextPingAt);
    if (next === this.pumpAt && this.pumpTimer !== void 0) return;
    if (this.pumpTimer !== void 0) this.sched.clearTimeout(this.pumpTimer);
    this.pumpAt = next;
    this.pumpTimer = this.sched.setTimeout(this.onPumpTimer, Math.max(1, Math.ceil(next - now)));
  }
  // One function for every pump timer: no closure per tick.
  onPumpTimer = () => {
    this.pumpTimer = void 0;
    this.pumpAt = NaN;
    this.pump();
  };
  /** The held input, fitted to Welcome.input (missing values are 0 clamped into range). */
  inputValues() {
    const fields = this.welcomeMsg?.input ?? [];
    return fields.map((f, i) => {
      const v = Math.round(this.held[i] ?? 0);
      return v < f.min ? f.min : v > f.max ? f.max : v;
    });
  }
  /** Sends the held input for tick `tick` as a new input and applies it to the prediction. */
  sendInput(tick, now) {
    const seq = ++this.seq;
    const values = this.inputValues();
    this.lastTick = this.connLastTick = tick;
    this.sendInputFrame(seq, tick, values);
    const p = this.predictor;
    if (!p) return;
    p.applyLocal(seq, tick, values);
    const local = this.predicting ? p.predicted : void 0;
    this.emit("input", { seq, tick, values, atMs: now, local: local ? Array.from(local) : void 0 });
  }
  sendInputFrame(seq, tick, values) {
    const rt = this.lastRenderTick;
    let renderTick = 0;
    let renderFrac = 0;
    if (Number.isFinite(rt) && rt > 0) {
      renderTick = Math.floor(rt);
      renderFrac = Math.min(255, Math.floor((rt - renderTick) * 256));
    }
    this.send({ case: "input", value: { seq, tick, values: values.slice(), ackTick: this.worldState.tick, renderTick, renderFrac } });
  }
};

// src/sdk/matchmaking.ts
var MatchmakingError = class extends Error {
  constructor(code, message) {
    super(`matchmaking: ${code}: ${message}`);
    this.code = code;
    this.name = "MatchmakingError";
  }
  code;
};
async function readTicket(r) {
  const body = await r.json();
  if (!r.ok) throw new MatchmakingError(body.error ?? String(r.status), body.message ?? r.statusText);
  if (typeof body.ticket_id !== "string" || typeof body.status !== "string") {
    throw new MatchmakingError("bad_response", "the server's answer is not a ticket");
  }
  return body;
}
async function matchmake(baseUrl, req, opts = {}) {
  const f = opts.fetch ?? fetch;
  const base = baseUrl.replace(/\/+$/, "");
  const wait = opts.waitSeconds ?? 10;
  let ticket = await readTicket(
    await f(`${base}/v1/matchmaking/tickets`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(req),
      signal: opts.signal
    })
  );
  try {
    while (ticket.status === "queued") {
      ticket = await readTicket(
        await f(`${base}/v1/matchmaking/tickets/${encodeURIComponent(ticket.ticket_id)}?wait=${wait}s`, { signal: opts.signal })
      );
    }
  } catch (err) {
    if (opts.signal?.aborted) {
      await f(`${base}/v1/matchmaking/tickets/${encodeURIComponent(ticket.ticket_id)}`, { method: "DELETE" }).catch(() => void 0);
    }
    throw err;
  }
  const token = ticket.players[0]?.join_token;
  if (ticket.status !== "placed" || !ticket.address || !token || !ticket.room_id) {
    throw new MatchmakingError(ticket.status, ticket.error ?? `the ticket ended ${ticket.status}`);
  }
  return { ticket, roomId: ticket.room_id, address: ticket.address, joinToken: token };
}
export {
  EMPTY_WORLD,
  Emitter,
  InputClock,
  Interpolator,
  MAX_DATA,
  MAX_ENTITIES,
  MAX_FIELDS,
  MatchmakingError,
  NetClock,
  PROTOCOL_VERSION,
  Predictor,
  RateMeter,
  SnapCodec,
  SnapDecodeError,
  TickwireClient,
  browserSocket,
  diffWorlds,
  findEntity,
  isTerminalCode,
  matchmake,
  tickwire_pb_exports as pb,
  realScheduler
};
