// admin: operator CLI. `admin status` prints the platform and base image release.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
)

func main() {
	cmd := "status"
	if len(os.Args) > 1 {
		cmd = os.Args[1]
	}
	switch cmd {
	case "status":
		fmt.Printf("hello from admin on %s/%s\n", runtime.GOOS, runtime.GOARCH)
		if b, err := os.ReadFile("/etc/monorepo/release"); err == nil {
			fmt.Printf("admin: base image says %q\n", strings.SplitN(string(b), "\n", 2)[0])
		}
	default:
		fmt.Fprintf(os.Stderr, "admin: unknown command %q (try: status)\n", cmd)
		os.Exit(2)
	}
}
