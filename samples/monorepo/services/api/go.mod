module example.com/acme/monorepo/api

go 1.19
