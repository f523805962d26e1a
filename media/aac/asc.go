package aac

import (
	"fmt"

	"github.com/fleetsim/fleetsim/media/h264/bits"
)

// Config is an AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1) for the AAC
// object types (1–4, 6, 7, 17, 19–23) with GASpecificConfig, and the
// explicit SBR/PS signalling of HE-AAC.
type Config struct {
	Object      ObjectType // audioObjectType of the core (AAC-LC for HE-AAC)
	SampleRate  int        // core sampling frequency
	Channels    int        // channelConfiguration
	FrameLength int        // 1024 or 960 (frameLengthFlag)
	// Extension is ObjectSBR or ObjectPS for explicitly signalled HE-AAC,
	// with the SBR output rate in ExtSampleRate.
	Extension     ObjectType
	ExtSampleRate int
}

// AppendConfig appends the serialised AudioSpecificConfig to dst. Rates
// without an index use the 24-bit escape.
func AppendConfig(dst []byte, c Config) ([]byte, error) {
	if c.Channels < 0 || c.Channels > 15 {
		return dst, fmt.Errorf("aac: channelConfiguration %d out of range", c.Channels)
	}
	if !hasGASpecific(c.Object) {
		return dst, fmt.Errorf("aac: object type %d not supported", c.Object)
	}
	w := bits.NewWriter(dst)
	if c.Extension == ObjectSBR || c.Extension == ObjectPS {
		writeObject(&w, c.Extension)
		if err := writeRate(&w, c.SampleRate); err != nil {
			return dst, err
		}
		w.U(4, uint64(c.Channels))
		if err := writeRate(&w, c.ExtSampleRate); err != nil {
			return dst, err
		}
		writeObject(&w, c.Object)
	} else {
		writeObject(&w, c.Object)
		if err := writeRate(&w, c.SampleRate); err != nil {
			return dst, err
		}
		w.U(4, uint64(c.Channels))
	}
	w.Flag(c.FrameLength == 960)
	w.Flag(false) // dependsOnCoreCoder
	w.Flag(false) // extensionFlag
	w.AlignZero()
	return w.Bytes(), nil
}

func writeObject(w *bits.Writer, o ObjectType) {
	if o >= 31 {
		w.U(5, 31)
		w.U(6, uint64(o-32))
		return
	}
	w.U(5, uint64(o))
}

func writeRate(w *bits.Writer, rate int) error {
	if rate <= 0 || rate >= 1<<24 {
		return fmt.Errorf("aac: sample rate %d out of range", rate)
	}
	if i, err := SampleRateIndex(rate); err == nil {
		w.U(4, uint64(i))
		return nil
	}
	w.U(4, 15)
	w.U(24, uint64(rate))
	return nil
}

func hasGASpecific(o ObjectType) bool {
	switch o {
	case 1, 2, 3, 4, 6, 7, 17, 19, 20, 21, 22, 23:
		return true
	}
	return false
}

// ParseConfig parses an AudioSpecificConfig.
func ParseConfig(b []byte) (Config, error) {
	var c Config
	r := bits.NewReader(b)
	obj := readObject(&r)
	var err error
	if c.SampleRate, err = readRate(&r); err != nil {
		return c, err
	}
	c.Channels = int(r.U(4))
	c.Object = obj
	if obj == ObjectSBR || obj == ObjectPS {
		c.Extension = obj
		if c.ExtSampleRate, err = readRate(&r); err != nil {
			return c, err
		}
		c.Object = readObject(&r)
	}
	if r.Err() != nil {
		return c, fmt.Errorf("aac: AudioSpecificConfig: %w", r.Err())
	}
	if !hasGASpecific(c.Object) {
		return c, fmt.Errorf("aac: AudioSpecificConfig: object type %d not supported", c.Object)
	}
	c.FrameLength = SamplesPerFrame
	if r.Flag() {
		c.FrameLength = 960
	}
	if r.Flag() { // dependsOnCoreCoder
		r.U(14)
	}
	r.Flag() // extensionFlag (its fields concern ER object types)
	if r.Err() != nil {
		return c, fmt.Errorf("aac: AudioSpecificConfig: %w", r.Err())
	}
	if c.Channels == 0 {
		return c, fmt.Errorf("aac: AudioSpecificConfig: channelConfiguration 0 (program config element) not supported")
	}
	return c, nil
}

func readObject(r *bits.Reader) ObjectType {
	o := ObjectType(r.U(5))
	if o == 31 {
		o = ObjectType(32 + r.U(6))
	}
	return o
}

func readRate(r *bits.Reader) (int, error) {
	i := int(r.U(4))
	if i == 15 {
		rate := int(r.U(24))
		if rate == 0 && r.Err() == nil {
			return 0, fmt.Errorf("aac: AudioSpecificConfig: explicit sample rate 0")
		}
		return rate, r.Err()
	}
	if r.Err() != nil {
		return 0, fmt.Errorf("aac: AudioSpecificConfig: %w", r.Err())
	}
	return SampleRate(i)
}
