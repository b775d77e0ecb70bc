// worker drains a (pretend) queue and exits.
package main

import (
	"fmt"

	"example.com/acme/monorepo/api/internal/greeting"
)

func main() {
	fmt.Println(greeting.Line("worker"))
	for i, job := range []string{"resize", "notify", "archive"} {
		fmt.Printf("worker: job %d/3 %s done\n", i+1, job)
	}
}
