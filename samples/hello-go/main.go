package main

import "fmt"

func main()  {
	fmt.Printf("[Multi Arch] 👋 hello world 🌍\n")
}
