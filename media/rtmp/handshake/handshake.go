// Package handshake implements the RTMP simple handshake (Adobe RTMP 1.0
// §5.2): C0/C1/C2 from the client, S0/S1/S2 from the server.
//
// Peers that start the digest ("complex", Flash Player 9) handshake — ffmpeg
// does as a client — interoperate with the simple echo: a server that
// answers with zero version bytes in S1 tells the client to fall back, and
// an echo of C1 in S2 is what such clients accept. Neither side here checks
// the echo it receives strictly, as real servers do not.
package handshake

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
)

// Version is the RTMP protocol version in C0/S0.
const Version = 3

// PacketSize is the size of C1, C2, S1 and S2.
const PacketSize = 1536

// Errors.
var (
	ErrVersion = errors.New("handshake: unsupported RTMP version")
	ErrShort   = errors.New("handshake: short packet")
)

// Packet is a decoded C1/S1/C2/S2.
type Packet struct {
	// Time is the sender's epoch in milliseconds (C1/S1) or the echoed time
	// (C2/S2).
	Time uint32
	// Time2 is zero in the simple C1/S1 (non-zero version bytes mark a
	// digest handshake) and the receive time in C2/S2.
	Time2 uint32
	// Random is the 1528 opaque bytes.
	Random []byte
}

// Digest reports whether a C1/S1 asks for the digest handshake (its
// second 4-byte field carries a Flash Player version).
func (p Packet) Digest() bool { return p.Time2 != 0 }

// ParsePacket decodes a 1536-byte handshake packet. Random aliases b.
func ParsePacket(b []byte) (Packet, error) {
	if len(b) < PacketSize {
		return Packet{}, fmt.Errorf("%w: %d bytes, want %d", ErrShort, len(b), PacketSize)
	}
	return Packet{
		Time:   binary.BigEndian.Uint32(b[0:4]),
		Time2:  binary.BigEndian.Uint32(b[4:8]),
		Random: b[8:PacketSize],
	}, nil
}

// ParseC0C1 decodes C0 followed by C1 (or S0 followed by S1).
func ParseC0C1(b []byte) (Packet, error) {
	if len(b) < 1 {
		return Packet{}, fmt.Errorf("%w: no version byte", ErrShort)
	}
	// Version 3 is plain RTMP; 6 is RTMPE, which ends here.
	if b[0] != Version {
		return Packet{}, fmt.Errorf("%w %d", ErrVersion, b[0])
	}
	return ParsePacket(b[1:])
}

// Config carries what the handshake puts in its packets.
type Config struct {
	// Epoch is the time field of C1/S1 in milliseconds.
	Epoch uint32
	// Rand fills the random field; nil leaves a fixed pattern (the field is
	// opaque to peers).
	Rand *rand.Rand
}

func (c Config) fill(b []byte) {
	binary.BigEndian.PutUint32(b[0:4], c.Epoch)
	binary.BigEndian.PutUint32(b[4:8], 0)
	r := b[8:PacketSize]
	if c.Rand == nil {
		for i := range r {
			r[i] = byte(i*13 + 7)
		}
		return
	}
	for i := 0; i < len(r); i += 8 {
		binary.LittleEndian.PutUint64(r[i:], c.Rand.Uint64())
	}
}

// echo writes into dst the echo of p: its time, our time2, its random.
func echo(dst, p []byte, time2 uint32) {
	copy(dst, p[:PacketSize])
	binary.BigEndian.PutUint32(dst[4:8], time2)
}

// Client runs the client side on rw: C0+C1 in one write, S0+S1, C2, S2.
func Client(rw io.ReadWriter, c Config) error {
	var buf [1 + 2*PacketSize]byte
	out := buf[:1+PacketSize]
	out[0] = Version
	c.fill(out[1:])
	if _, err := rw.Write(out); err != nil {
		return fmt.Errorf("handshake: write C0C1: %w", err)
	}
	in := buf[:1+PacketSize]
	if _, err := io.ReadFull(rw, in); err != nil {
		return fmt.Errorf("handshake: read S0S1: %w", err)
	}
	if _, err := ParseC0C1(in); err != nil {
		return err
	}
	c2 := buf[1+PacketSize:]
	echo(c2, in[1:], c.Epoch)
	if _, err := rw.Write(c2); err != nil {
		return fmt.Errorf("handshake: write C2: %w", err)
	}
	if _, err := io.ReadFull(rw, buf[:PacketSize]); err != nil {
		return fmt.Errorf("handshake: read S2: %w", err)
	}
	return nil
}

// Server runs the server side on rw: C0+C1, then S0+S1+S2 in one write,
// then C2. It returns the client's C1 time and whether the client asked for
// the digest handshake.
func Server(rw io.ReadWriter, c Config) (Packet, error) {
	var buf [1 + 2*PacketSize]byte
	in := buf[:1+PacketSize]
	if _, err := io.ReadFull(rw, in[:1]); err != nil {
		return Packet{}, fmt.Errorf("handshake: read C0: %w", err)
	}
	if in[0] != Version {
		return Packet{}, fmt.Errorf("%w %d", ErrVersion, in[0])
	}
	if _, err := io.ReadFull(rw, in[1:]); err != nil {
		return Packet{}, fmt.Errorf("handshake: read C1: %w", err)
	}
	c1, err := ParseC0C1(in)
	if err != nil {
		return Packet{}, err
	}
	info := Packet{Time: c1.Time, Time2: c1.Time2}

	var out [1 + 2*PacketSize]byte
	out[0] = Version
	c.fill(out[1 : 1+PacketSize])
	echo(out[1+PacketSize:], in[1:], c.Epoch)
	if _, err := rw.Write(out[:]); err != nil {
		return info, fmt.Errorf("handshake: write S0S1S2: %w", err)
	}
	if _, err := io.ReadFull(rw, buf[:PacketSize]); err != nil {
		return info, fmt.Errorf("handshake: read C2: %w", err)
	}
	return info, nil
}
