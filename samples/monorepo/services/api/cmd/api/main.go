// api serves a greeting as JSON on :8080.
package main

import (
	"encoding/json"
	"log"
	"net/http"
	"os"

	"example.com/acme/monorepo/api/internal/greeting"
)

func main() {
	addr := ":8080"
	if v := os.Getenv("ADDR"); v != "" {
		addr = v
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"service": "api", "message": greeting.Line("api")})
	})
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	log.Printf("%s, listening on %s", greeting.Line("api"), addr)
	log.Fatal(http.ListenAndServe(addr, nil))
}
