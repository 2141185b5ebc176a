// Package protocol implements the jstrace wire protocol between the CLI and
// the agent: the connection preamble, framing, control messages, console
// output and the encoding of event records and their values.
//
// The normative description is docs/protocol.md, the public contract
// (the golden frames in testdata pin it). The probe side of
// the event encoding lives in package jstrace (which imports only the
// standard library); this package decodes it, and its tests check that the
// two agree on every kind of value.
//
// Decoding functions never panic on malformed input: they return an error
// wrapping [ErrMalformed].
package protocol
