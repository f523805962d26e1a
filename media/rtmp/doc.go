// Package rtmp is the RTMP message and connection layer (Adobe RTMP 1.0 and
// Enhanced RTMP v1) on top of packages handshake and chunk: protocol control
// and user control messages, AMF0 commands and data messages, onStatus
// statuses with the ingest status codes of the cloud documents, and a client
// connection (publish, play) and a server (for the mock cloud's ingest).
//
// Layers, bottom-up: handshake → chunk → messages (control.go, command.go,
// data.go, status.go) → connections (client.go, server.go).
package rtmp
