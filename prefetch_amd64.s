#include "textflag.h"

// func prefetchw(p unsafe.Pointer, n uintptr)
// PREFETCHW (0F 0D /1, which the assembler does not know) of each cache
// line of [p, p+n).
TEXT ·prefetchw(SB), NOSPLIT, $0-16
	MOVQ p+0(FP), AX
	MOVQ n+8(FP), CX
	ADDQ AX, CX
	ANDQ $-64, AX
loop:
	BYTE $0x0F; BYTE $0x0D; BYTE $0x08 // PREFETCHW 0(AX)
	ADDQ $64, AX
	CMPQ AX, CX
	JB   loop
	RET
