module example.com/acme/monorepo/admin

go 1.19
