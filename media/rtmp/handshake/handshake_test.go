package handshake

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"testing"
)

func TestClientServer(t *testing.T) {
	// TCP, not net.Pipe: like every real transport it buffers, so the
	// server's S0S1S2 write completes before the client reads S2.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	errc := make(chan error, 1)
	var got Packet
	go func() {
		var err error
		got, err = Server(b, Config{Epoch: 7, Rand: rand.New(rand.NewPCG(1, 2))})
		errc <- err
	}()
	if err := Client(a, Config{Epoch: 1234, Rand: rand.New(rand.NewPCG(3, 4))}); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if got.Time != 1234 || got.Digest() {
		t.Errorf("server saw %+v", got)
	}
}

// scripted is a peer whose replies are fixed bytes; it records what it got.
type scripted struct {
	in  *bytes.Reader
	out bytes.Buffer
}

func (s *scripted) Read(p []byte) (int, error)  { return s.in.Read(p) }
func (s *scripted) Write(p []byte) (int, error) { return s.out.Write(p) }

// TestServerDigestClient feeds the server a C1 with a Flash Player version
// in its second field (what ffmpeg sends) and checks S2 echoes C1.
func TestServerDigestClient(t *testing.T) {
	c1 := make([]byte, PacketSize)
	c1[3] = 9
	copy(c1[4:8], []byte{9, 0, 124, 2}) // FP9 version, as ffmpeg sends
	for i := 8; i < PacketSize; i++ {
		c1[i] = byte(i)
	}
	c2 := make([]byte, PacketSize)
	peer := &scripted{in: bytes.NewReader(append(append([]byte{3}, c1...), c2...))}
	p, err := Server(peer, Config{Epoch: 99})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Digest() || p.Time != 9 {
		t.Errorf("packet %+v", p)
	}
	out := peer.out.Bytes()
	if len(out) != 1+2*PacketSize || out[0] != Version {
		t.Fatalf("S0S1S2 of %d bytes", len(out))
	}
	s1, _ := ParsePacket(out[1:])
	if s1.Digest() {
		t.Error("S1 has version bytes: would ask for the digest handshake")
	}
	s2 := out[1+PacketSize:]
	if !bytes.Equal(s2[8:], c1[8:]) || !bytes.Equal(s2[:4], c1[:4]) {
		t.Error("S2 does not echo C1")
	}
}

func TestClientWrites(t *testing.T) {
	s1 := make([]byte, PacketSize)
	for i := range s1 {
		s1[i] = byte(i * 3)
	}
	reply := append(append([]byte{3}, s1...), make([]byte, PacketSize)...)
	peer := &scripted{in: bytes.NewReader(reply)}
	if err := Client(peer, Config{Epoch: 5}); err != nil {
		t.Fatal(err)
	}
	out := peer.out.Bytes()
	if len(out) != 1+2*PacketSize {
		t.Fatalf("client wrote %d bytes", len(out))
	}
	c1, err := ParseC0C1(out)
	if err != nil || c1.Time != 5 || c1.Digest() {
		t.Fatalf("C1 %+v %v", c1, err)
	}
	c2 := out[1+PacketSize:]
	if !bytes.Equal(c2[8:], s1[8:]) {
		t.Error("C2 does not echo S1")
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		err  error
	}{
		{"rtmpe version", append([]byte{6}, make([]byte, 2*PacketSize)...), ErrVersion},
		{"short C1", append([]byte{3}, make([]byte, 100)...), io.ErrUnexpectedEOF},
		{"nothing", nil, io.EOF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Server(&scripted{in: bytes.NewReader(tc.in)}, Config{})
			if !errors.Is(err, tc.err) {
				t.Errorf("Server: %v, want %v", err, tc.err)
			}
		})
	}
	if err := Client(&scripted{in: bytes.NewReader([]byte{6})}, Config{}); err == nil {
		t.Error("client accepted a short S0S1")
	}
}

func FuzzParseC0C1(f *testing.F) {
	f.Add(append([]byte{3}, make([]byte, PacketSize)...))
	f.Add([]byte{6, 1, 2})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseC0C1(b)
		if err != nil {
			return
		}
		if len(p.Random) != PacketSize-8 {
			t.Fatalf("random of %d bytes", len(p.Random))
		}
	})
}

func FuzzServer(f *testing.F) {
	f.Add(append([]byte{3}, make([]byte, 2*PacketSize)...))
	f.Add([]byte{3, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		peer := &scripted{in: bytes.NewReader(b)}
		_, err := Server(peer, Config{})
		if err == nil && len(b) < 1+2*PacketSize {
			t.Fatalf("accepted %d bytes", len(b))
		}
	})
}
