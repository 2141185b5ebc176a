//go:build !linux

package jstrace

// mapPopulate is 0 where the kernel has no MAP_POPULATE: the pages of a
// mapping are faulted in as they are first written.
const mapPopulate = 0
