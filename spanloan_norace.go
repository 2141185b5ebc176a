//go:build !race

package jstrace

const chunkLen = 64
