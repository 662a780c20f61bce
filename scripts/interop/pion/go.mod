module swiftsfu/pionpeer

go 1.19
