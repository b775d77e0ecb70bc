module hello

go 1.22.1
