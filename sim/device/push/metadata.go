package push

import (
	"fmt"
	"time"

	"github.com/fleetsim/fleetsim/media/amf0"
	"github.com/fleetsim/fleetsim/media/rtmp"
)

// metaObject builds the AMF0 control object of a SendMetadata call (RP8),
// with the SDK's field names (including its `tigger_type` spelling). local
// is the device's local time for the datetime fields; key is the
// encryption key string of types 2 and 3.
func metaObject(t MetaType, wparam, lparam int64, local time.Time, key string) (amf0.Object, error) {
	o := amf0.Object{{Key: "type", Value: float64(t)}}
	switch t {
	case MetaStreamStart:
		tr := Trigger(wparam)
		if !tr.Valid() {
			return nil, fmt.Errorf("trigger type %d", wparam)
		}
		_, off := local.Zone()
		o = append(o,
			amf0.Property{Key: "tigger_type", Value: float64(tr)},
			amf0.Property{Key: "media_timestamp", Value: amf0.Date{Millis: float64(lparam)}},
			amf0.Property{Key: "timezone", Value: float64(off / 60)},
			amf0.Property{Key: "datetime", Value: local.Format("2006-01-02 15:04:05")})
	case MetaStreamEnd:
		if wparam < 0 {
			return nil, fmt.Errorf("alarm time %d ms", wparam)
		}
		o = append(o,
			amf0.Property{Key: "alarm_time", Value: float64(wparam)},
			amf0.Property{Key: "media_timestamp", Value: amf0.Date{Millis: float64(lparam)}})
	case MetaVideoEncrypt, MetaAudioEncrypt:
		mode := Encrypt(wparam)
		if mode < EncryptNone || mode > EncryptAll {
			return nil, fmt.Errorf("encryption mode %d", wparam)
		}
		p := "v"
		if t == MetaAudioEncrypt {
			p = "a"
		}
		keyType := 0.0
		if mode != EncryptNone {
			keyType = 1 // AES
		}
		o = append(o,
			amf0.Property{Key: p + "enctype", Value: float64(mode)},
			amf0.Property{Key: "skipbytes", Value: 0.0},
			amf0.Property{Key: p + "keyenctype", Value: keyType},
			amf0.Property{Key: p + "encstring", Value: key})
	case MetaBitrate:
		o = append(o,
			amf0.Property{Key: "vbitrate", Value: float64(lparam)},
			amf0.Property{Key: "abitrate", Value: float64(wparam)})
	case MetaDroppedFrames:
		o = append(o,
			amf0.Property{Key: "vdropframe", Value: float64(lparam)},
			amf0.Property{Key: "adropframe", Value: float64(wparam)})
	case MetaDisconnect:
		o = append(o,
			amf0.Property{Key: "vconnect", Value: float64(wparam)},
			amf0.Property{Key: "aconnect", Value: float64(wparam)})
	case MetaTriggerChange:
		if !Trigger(wparam).Valid() || !Trigger(lparam).Valid() {
			return nil, fmt.Errorf("trigger change %d → %d", wparam, lparam)
		}
		o = append(o,
			amf0.Property{Key: "old_tigger_type", Value: float64(wparam)},
			amf0.Property{Key: "new_tigger_type", Value: float64(lparam)})
	case MetaImageStamp:
		o = append(o, amf0.Property{Key: "media_timestamp", Value: amf0.Date{Millis: float64(lparam)}})
	default:
		return nil, fmt.Errorf("metadata type %d", t)
	}
	return o, nil
}

// metaData wraps a control object as the onMetaData data message.
func metaData(o amf0.Object) rtmp.Data {
	return rtmp.Data{Name: rtmp.DataOnMetaData, Args: []any{o}}
}
