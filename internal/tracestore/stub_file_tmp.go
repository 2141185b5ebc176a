package tracestore

import (
	"context"
	"errors"
)

// Temporary until the embedded store lands (its author deletes this file).
func openFile(ctx context.Context, path string, o Options) (Store, error) {
	return nil, errors.New("store: embedded store not built yet")
}
