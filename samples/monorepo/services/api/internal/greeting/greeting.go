// Package greeting is shared by the api and worker commands.
package greeting

import (
	"fmt"
	"runtime"
)

// Line says who is speaking and on which platform.
func Line(who string) string {
	return fmt.Sprintf("hello from %s on %s/%s", who, runtime.GOOS, runtime.GOARCH)
}
