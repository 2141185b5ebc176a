package client

import "github.com/jstrace-go/jstrace/internal/protocol"

// A WarningHandler is a Handler that also receives the agent's Warnings;
// a CLI whose Handler is one sets protocol.AttachWarnings in its Attach.
// Warning is called on the goroutine that reads the control stream.
type WarningHandler interface {
	Handler
	Warning(c *Conn, w protocol.Warning)
}

// warning hands a Warning frame's payload to h, if it takes Warnings.
func (c *Conn) warning(h Handler, p []byte) error {
	var w protocol.Warning
	if err := w.Decode(p); err != nil {
		return err
	}
	if wh, ok := h.(WarningHandler); ok {
		wh.Warning(c, w)
	}
	return nil
}
