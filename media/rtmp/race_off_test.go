//go:build !race

package rtmp

const raceEnabled = false
