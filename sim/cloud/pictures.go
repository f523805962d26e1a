package cloud

import (
	"strconv"
)

// storePicture records a checked picture and returns its id.
func (c *Cloud) storePicture(dev string, ch, event, size int) string {
	n := c.stats.pictures.Add(1)
	id := "pic-" + strconv.FormatInt(n, 10)
	if c.cfg.Webhook.Snapshot {
		now := c.clk.Now()
		c.hooks.send(Hook{EventType: HookSnapshot, StreamID: dev, ChannelID: dev, Device: dev, Channel: ch,
			EventTime: hookTime(now), FileSize: int64(size), FileID: id, Node: c.node()})
	}
	return id
}

func (c *Cloud) node() string {
	if c.cfg.Node != "" {
		return c.cfg.Node
	}
	return c.RTMPAddr()
}
