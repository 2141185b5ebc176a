package jstrace

import "syscall"

// mapPopulate asks the kernel to populate a mapping's pages when it is
// made (see bigRingMemory).
const mapPopulate = syscall.MAP_POPULATE
