/**
 * The Tickwire protocol version this SDK speaks: its Hello offers exactly this version, and a server that speaks no
 * other closes with 4501 (terminal). The package's major version is this number (`@tickwire/client` 2.x speaks
 * protocol 2); test/version.test.ts checks both against the generated protocol code and proto/tickwire.proto.
 */
export const PROTOCOL_VERSION = 2;
