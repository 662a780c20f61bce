module swiftsfu/twcc

go 1.19
